// The embedded PostgreSQL (PGlite) in a data folder, served on a Unix socket so the ordinary driver, and other
// processes such as the CLI, can reach it. A PGlite folder must only ever be opened by one process: a lock file
// names the process that holds it, and everyone else connects through that process's socket. PGlite itself runs in
// a child process of the holder (db/embedded-server.ts), off its event loop and with memory of its own.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  access, mkdir, readFile, rm, unlink, writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type EmbeddedRole = 'service' | 'cli';

export interface EmbeddedDatabase {
  /** The folder holding `.s.PGSQL.5432`, as the `host` for the pg driver. */
  socketDir: string;
  port: number;
  /** True when this process opened the data folder; false when it connects to the process that did. */
  owned: boolean;
  /** Where this process owns the database: hears every NOTIFY, whichever connection's commit raised it. */
  onNotification?: (listener: (channel: string, payload: string) => void) => void;
  close(): Promise<void>;
}

interface LockContent {
  pid: number;
  role: EmbeddedRole;
  socketDir: string;
  /** The child process running PGlite for `pid`, once started. */
  databasePid?: number;
}

/** The database process could not start, or ended; the message is one line with its reason. */
export class EmbeddedDatabaseFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseFailed';
  }
}

export class DataFolderInUse extends Error {
  constructor(dataDir: string, pid: number) {
    super(`The data folder ${dataDir} is in use by another running service (pid ${pid}); stop it or set another DATA_DIR`);
    this.name = 'DataFolderInUse';
  }
}

const PORT = 5432;
// Unix socket paths are limited to about 107 bytes; fall back to a short folder in the temp dir.
const MAX_SOCKET_PATH = 100;

function socketDirFor(dataDir: string): string {
  if (join(dataDir, `.s.PGSQL.${PORT}`).length <= MAX_SOCKET_PATH) return dataDir;
  return join(tmpdir(), `auth-clients-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// The child runs built JavaScript: from the TypeScript sources, which jest runs, that is the copy in dist/ (`npm test`
// builds first).
// From the bundles (scripts/build.mjs), it is the bundle of that name in dist/bundle/, one folder above the shared
// chunk that holds this code.
function serverEntry(here: string): URL {
  if (here.endsWith('.ts')) return new URL('../../dist/src/db/embedded-server.js', here);
  return new URL(here.includes('/bundle/chunks/') ? '../embedded-server.js' : './embedded-server.js', here);
}
const SERVER_ENTRY = serverEntry(import.meta.url);
// WebAssembly compiled by V8's baseline compiler only: its optimizing tier keeps ~60 MiB more memory, for speed on
// queries that are not where a request's time goes. Creating a data folder is faster this way, too.
const SERVER_EXEC_ARGV = ['--liftoff-only'];

type Exit = number | NodeJS.Signals | null;

/** Forks db/embedded-server.ts; `exited` gives its exit code or signal, `failed` an error with its one-line reason. */
function forkServer(args: string[]): { child: ChildProcess; exited: Promise<Exit>; failed: (exit: Exit) => Error } {
  // Through the IPC channel the child learns that this process has ended, however it ended.
  const child = fork(SERVER_ENTRY, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: SERVER_EXEC_ARGV });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4096); });
  return {
    child,
    exited: new Promise((resolve) => { child.once('exit', (code, signal) => resolve(signal ?? code)); }),
    failed: (exit) => new EmbeddedDatabaseFailed(`The embedded database in ${args[1]} failed: ${stderr.trim().split('\n').pop()
      || (typeof exit === 'string' ? `killed by ${exit}` : `exit code ${exit}`)}`),
  };
}

/** Creates a missing data folder in a short-lived child process: only a process's end returns what initdb takes. */
async function createDataFolder(pgdata: string): Promise<void> {
  if (await access(join(pgdata, 'PG_VERSION')).then(() => true, () => false)) return;
  const { exited, failed } = forkServer(['create', pgdata]);
  const exit = await exited;
  if (exit !== 0) throw failed(exit);
}

interface EmbeddedServer {
  pid: number;
  /** Resolves once the socket accepts connections. */
  ready: Promise<void>;
  /** Hears every NOTIFY that the database process finds in what it serves (see embedded-server.ts). */
  onNotification(listener: (channel: string, payload: string) => void): void;
  stop(): Promise<void>;
}

/** What the database process reports after `ready`: each notification it served. */
export interface NotificationMessage {
  channel: string;
  payload: string;
}

/** Serves the data folder `pgdata` on `socketPath` from a child process. */
function startServer(pgdata: string, socketPath: string): EmbeddedServer {
  const { child, exited, failed } = forkServer(['serve', pgdata, socketPath]);
  let stopping = false;
  const listeners: Array<(channel: string, payload: string) => void> = [];
  child.on('message', (message: unknown) => {
    if (typeof message !== 'object' || message === null) return;
    const { channel, payload } = message as NotificationMessage;
    for (const listener of listeners) listener(channel, payload);
  });
  const ready = Promise.race([
    once(child, 'message').then(() => {
      // From now on, losing the database stops this process too, with one line saying why: a service without it only
      // answers errors.
      void exited.then((exit) => {
        if (stopping) return;
        process.stderr.write(`${failed(exit).message}\n`);
        process.exit(1);
      });
    }),
    exited.then((exit) => { throw failed(exit); }),
  ]);
  return {
    pid: child.pid!,
    ready,
    onNotification: (listener) => { listeners.push(listener); },
    async stop() {
      stopping = true;
      if (child.connected) child.send('stop');
      await exited;
    },
  };
}

async function readLock(lockPath: string): Promise<LockContent | undefined> {
  try {
    return JSON.parse(await readFile(lockPath, 'utf8')) as LockContent;
  } catch {
    return undefined; // gone, or being written right now
  }
}

/**
 * Opens the embedded database in `dataDir`, or joins the process that has it open.
 * A service never joins another service (two services on one folder is a mistake) and never joins a CLI,
 * which will exit soon: it waits for the CLI to finish instead.
 */
export async function openEmbedded(dataDir: string, role: EmbeddedRole, waitMs = 30_000): Promise<EmbeddedDatabase> {
  await mkdir(dataDir, { recursive: true });
  const lockPath = join(dataDir, 'embedded.lock');
  const socketDir = socketDirFor(dataDir);
  const deadline = Date.now() + waitMs;

  const mine: LockContent = { pid: process.pid, role, socketDir };
  for (;;) {
    try {
      await writeFile(lockPath, JSON.stringify(mine), { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(lockPath);
    if (holder && holder.pid !== process.pid && !isAlive(holder.pid)) {
      // Left by a process that died; its database process follows it within moments, and must be gone first.
      if (!holder.databasePid || !isAlive(holder.databasePid)) {
        await rm(lockPath, { force: true });
        continue;
      }
    } else if (holder?.role === 'service' && holder.pid !== process.pid) {
      if (role === 'service') throw new DataFolderInUse(dataDir, holder.pid);
      return {
        socketDir: holder.socketDir, port: PORT, owned: false, close: async () => {},
      };
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for the data folder ${dataDir}, held by pid ${holder?.pid ?? 'unknown'}`);
    }
    await sleep(100);
  }

  try {
    await mkdir(socketDir, { recursive: true, mode: 0o700 });
    const socketPath = join(socketDir, `.s.PGSQL.${PORT}`);
    await rm(socketPath, { force: true }); // a stale socket from a crash would block listen()
    const pgdata = join(dataDir, 'pgdata');
    await createDataFolder(pgdata);
    const server = startServer(pgdata, socketPath);
    try {
      // The lock names the database process too, at once: the folder is not free until that process has gone.
      await Promise.all([writeFile(lockPath, JSON.stringify({ ...mine, databasePid: server.pid })), server.ready]);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return {
      socketDir,
      port: PORT,
      owned: true,
      onNotification: (listener) => server.onNotification(listener),
      async close() {
        await server.stop();
        await rm(socketPath, { force: true });
        await unlink(lockPath).catch(() => {});
      },
    };
  } catch (error) {
    await unlink(lockPath).catch(() => {});
    throw error;
  }
}
