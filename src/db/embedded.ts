// The embedded PostgreSQL (PGlite) in a data folder, served on a Unix socket so the ordinary driver, and other
// processes such as the CLI, can reach it. A PGlite folder must only ever be opened by one process: a lock beside it
// (db/data-folder-lock.ts) belongs to the process that holds it, and everyone else connects through that process's
// socket. PGlite itself runs in a child process of the holder (db/embedded-server.ts), off its event loop and with
// memory of its own; it shares the lock, so the folder is not free until both have ended.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  access, mkdir, readdir, realpath, rm, stat,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  accepts, tryLock, type HeldLock, type LockHolder,
} from './data-folder-lock.js';
import { dataFolderProblem, DESCRIBED_FAILURE, StartupFailure } from './startup-failure.js';

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

/** The database process could not start, or ended; the message is one line with its reason. */
export class EmbeddedDatabaseFailed extends StartupFailure {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseFailed';
  }
}

export class DataFolderInUse extends StartupFailure {
  constructor(dataDir: string, pid?: number) {
    super(`The data folder ${dataDir} is in use by another running service${pid ? ` (pid ${pid})` : ''}; stop it or set another DATA_DIR`);
    this.name = 'DataFolderInUse';
  }
}

const PORT = 5432;
// Unix socket paths are limited to about 107 bytes; fall back to a short folder in the temp dir. The longest name
// bound there is the lock's draft (data-folder-lock.ts).
const MAX_SOCKET_PATH = 100;
const LOCK_NAME = 'embedded.lock';

export function socketDirFor(dataDir: string): string {
  if (join(dataDir, `${LOCK_NAME}.00000000`).length <= MAX_SOCKET_PATH) return dataDir;
  return join(tmpdir(), `auth-clients-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
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
    failed: (exit) => {
      const reason = stderr.trim().split('\n').pop();
      if (exit === DESCRIBED_FAILURE && reason) return new EmbeddedDatabaseFailed(reason);
      return new EmbeddedDatabaseFailed(`The embedded database in ${args[1]} failed: ${reason
        || (typeof exit === 'string' ? `killed by ${exit}` : `exit code ${exit}`)}`);
    },
  };
}

/** Creates a missing data folder in a short-lived child process: only a process's end returns what initdb takes. */
async function createDataFolder(pgdata: string): Promise<void> {
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

/** What the database process is sent first, with the lock's socket: it answers as the holder until it ends. */
export interface LockMessage {
  lock: LockHolder;
}

/** Serves the data folder `pgdata` on `socketPath` from a child process, which shares `lock` until it ends. */
function startServer(pgdata: string, socketPath: string, lock: HeldLock, holder: LockHolder): EmbeddedServer {
  const { child, exited, failed } = forkServer(['serve', pgdata, socketPath]);
  child.send({ lock: { ...holder, state: 'ready' } } satisfies LockMessage, lock.server);
  let stopping = false;
  const listeners: Array<(channel: string, payload: string) => void> = [];
  child.on('message', (message: unknown) => {
    if (typeof message !== 'object' || message === null || !('channel' in message)) return;
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

/**
 * Refuses a folder whose database is gone or incomplete: creating a new, empty one there would silently replace lost
 * data (and make a new Super Admin). A missing or empty `pgdata` is new only while nothing else shows that a database
 * was made here: the APP_KEY file is written after the database, never before.
 */
async function checkDataFolder(dataDir: string, pgdata: string): Promise<'complete' | 'new'> {
  const entries: string[] = await readdir(pgdata).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR') throw new StartupFailure(`${pgdata} is not a folder: move it away, or set DATA_DIR to another folder`);
    throw error;
  });
  if (entries.includes('PG_VERSION')) return 'complete';
  if (entries.length > 0) {
    throw new StartupFailure(`The data folder ${dataDir} holds an incomplete database (${pgdata} has no PG_VERSION): restore DATA_DIR from a backup, or move pgdata away to start with an empty database`);
  }
  if (await access(join(dataDir, 'app-key')).then(() => true, () => false)) {
    throw new StartupFailure(`The data folder ${dataDir} has lost its database (${pgdata} is missing or empty, but its app-key is there): restore DATA_DIR from a backup, or move app-key away to start with an empty database`);
  }
  return 'new';
}

/** Runs a file-system step on the data folder, turning a full, read-only or foreign folder into its one-line reason. */
async function onDataFolder<T>(dataDir: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const problem = error instanceof StartupFailure ? undefined : dataFolderProblem(dataDir, error as NodeJS.ErrnoException);
    throw problem ? new StartupFailure(problem) : error;
  }
}

const WAIT_NOTE = 'wait for it to finish, or stop it';

/**
 * Opens the embedded database in `dataDir`, or joins the process that has it open.
 * A service never joins another service (two services on one folder is a mistake) and never joins a CLI,
 * which will exit soon: it waits for the CLI to finish instead.
 */
export async function openEmbedded(dataDir: string, role: EmbeddedRole, waitMs = 30_000): Promise<EmbeddedDatabase> {
  const socketDir = await onDataFolder(dataDir, async () => {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (!(await stat(dataDir)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    const dir = socketDirFor(await realpath(dataDir));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  });
  const lockPath = join(socketDir, LOCK_NAME);
  const socketPath = join(socketDir, `.s.PGSQL.${PORT}`);
  const deadline = Date.now() + waitMs;

  const mine: LockHolder = { pid: process.pid, role, state: 'starting' };
  let lock: HeldLock;
  for (;;) {
    const attempt = await onDataFolder(dataDir, () => tryLock(lockPath, () => mine));
    if ('lock' in attempt) {
      lock = attempt.lock;
      // A folder still served by a version of this service from before this lock: it is held.
      if (!(await accepts(socketPath))) break;
      await lock.release();
      if (role === 'service') throw new DataFolderInUse(dataDir);
      return {
        socketDir, port: PORT, owned: false, close: async () => {},
      };
    }
    const { holder } = attempt;
    if (holder?.role === 'service' && holder.state !== 'stopping') {
      if (role === 'service') throw new DataFolderInUse(dataDir, holder.pid);
      if (holder.state === 'ready') {
        return {
          socketDir, port: PORT, owned: false, close: async () => {},
        };
      }
    }
    if (Date.now() > deadline) {
      const who = holder ? `${holder.role === 'cli' ? 'a CLI command' : 'a service'} (pid ${holder.pid})` : 'another process';
      throw new StartupFailure(`The data folder ${dataDir} has been held by ${who} for over ${Math.round(waitMs / 1000)} s: ${WAIT_NOTE}`);
    }
    await sleep(100);
  }

  try {
    const pgdata = join(dataDir, 'pgdata');
    await onDataFolder(dataDir, async () => {
      await rm(socketPath, { force: true }); // a stale socket from a crash would block listen()
      if (await checkDataFolder(dataDir, pgdata) === 'new') await createDataFolder(pgdata);
    });
    const server = startServer(pgdata, socketPath, lock, mine);
    try {
      await server.ready;
    } catch (error) {
      await server.stop();
      throw error;
    }
    mine.state = 'ready';
    return {
      socketDir,
      port: PORT,
      owned: true,
      onNotification: (listener) => server.onNotification(listener),
      async close() {
        mine.state = 'stopping';
        await server.stop();
        await rm(socketPath, { force: true });
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
