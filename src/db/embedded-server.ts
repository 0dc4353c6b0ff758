// The embedded PostgreSQL's own process, started by db/embedded.ts: `serve <pgdata> <socket>` runs PGlite on a Unix
// socket, off the event loop of the process that started it; `create <pgdata>` creates a new data folder and exits.
import { rmSync } from 'node:fs';
import {
  open, readdir, rename, rm,
} from 'node:fs/promises';
import type { Server } from 'node:net';
import { dirname, join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { LISTEN_TO_CHANGES } from './change-feed.js';
import { answerWith, type LockHolder } from './data-folder-lock.js';
import type { LockMessage, NotificationMessage } from './embedded.js';
import { NotificationScanner } from './notification-scanner.js';
import { DurableNodeFS, durableStartParams } from './pglite-durable-fs.js';
import { dataFolderProblem, DESCRIBED_FAILURE } from './startup-failure.js';

// PostgreSQL's 128 MB of shared buffers are sized for a dedicated server, and PGlite touches all of them at start:
// ~145 MiB of memory for a database of a few MB that the OS caches anyway. A run-time setting only: the folder's
// own postgresql.conf stays as initdb wrote it. Every acknowledged commit is on disk (pglite-durable-fs.ts).
const startParams = durableStartParams([...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB']);

/** The last lines PostgreSQL logged: why it stopped, when it does. */
const postgresLog: string[] = [];
function logged(text: string): boolean {
  postgresLog.push(text);
  if (postgresLog.length > 20) postgresLog.shift();
  return true; // kept here, not printed: the parent prints one line
}

/** PostgreSQL's own reason for stopping (its last PANIC or FATAL message), if it logged one. */
function postgresReason(): string | undefined {
  const line = postgresLog.findLast((text) => /\b(PANIC|FATAL):/.test(text));
  return line?.replace(/^.*?\b(PANIC|FATAL):\s*/, '').trim();
}

function openDatabase(pgdata: string, options: PGliteOptions = {}): Promise<PGlite> {
  return PGlite.create({
    fs: new DurableNodeFS(pgdata), startParams, onStderr: logged, onStdout: logged, ...options,
  });
}

/**
 * Reports every NOTIFY in what PGlite sends to the socket's clients to the parent, whose caches listen (change-feed.ts).
 * PGlite is one session, so a notification comes back to whichever connection committed it: the session listens on
 * every channel, and the messages are read on their way out (each call ends on a message boundary).
 */
async function reportNotifications(db: PGlite): Promise<void> {
  const report = (channel: string, payload: string) => {
    if (process.connected) process.send!({ channel, payload } satisfies NotificationMessage);
  };
  const execute = db.execProtocolRawStream.bind(db);
  db.execProtocolRawStream = (message, options) => {
    const scanner = new NotificationScanner(report);
    return execute(message, {
      ...options,
      onRawData: (data) => {
        scanner.push(data);
        options?.onRawData?.(data);
      },
    });
  };
  await db.exec(LISTEN_TO_CHANGES);
}

async function serve(pgdata: string, socketPath: string): Promise<void> {
  // Stopped only by the process that started it, in order after its own connections have closed, or by that
  // process's end. A Ctrl+C, or a service manager's SIGTERM, reaches this process at the same time as its parent.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => {});
  const started = (async () => {
    const db = await openDatabase(pgdata, { extensions: { pg_trgm } });
    await reportNotifications(db);
    const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 64 });
    await server.start();
    return { db, server };
  })();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const { db, server } = await started;
      await server.stop();
      await db.close();
      process.exit(0);
    })();
  };
  // The parent's lock on the data folder, shared: it lasts until this process has ended too, so nobody opens the
  // folder while PGlite may still be writing to it.
  let holder: LockHolder | undefined;
  // Listening from the start: a request to stop, or the parent's end, may come while PGlite is still starting.
  process.on('message', (message: unknown, handle?: Server) => {
    if (message === 'stop') stop();
    else if (handle && typeof message === 'object' && message !== null && 'lock' in message) {
      holder = (message as LockMessage).lock;
      answerWith(handle, () => ({ ...holder!, state: stopping ? 'stopping' : holder!.state }));
    }
  });
  process.once('disconnect', stop);
  await started;
  if (process.connected) process.send!('ready');
}

async function syncFile(path: string): Promise<void> {
  const file = await open(path, 'r');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}

/** fsync of every file and folder under `dir`, the folders after what they hold. */
async function syncTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(entries.map((entry) => (entry.isDirectory() ? syncTree(join(dir, entry.name)) : syncFile(join(dir, entry.name)))));
  await syncFile(dir);
}

/**
 * Creates the data folder `pgdata`, in a process of its own: PGlite's initdb takes ~700 MiB, which only the end of a
 * process gives back to the system. It is built in a folder beside it and renamed into place, so a folder named
 * `pgdata` is always whole.
 */
async function create(pgdata: string): Promise<void> {
  const draft = `${pgdata}.new-${process.pid}`;
  // If the parent dies, or a Ctrl+C stops both, stop and leave nothing half-made: noticed between steps, as initdb
  // itself runs to its end (a few seconds) in one go.
  const abandon = () => {
    rmSync(draft, { recursive: true, force: true });
    process.exit(1);
  };
  const ends = ['disconnect', 'SIGINT', 'SIGTERM'] as const;
  for (const end of ends) process.once(end, abandon);
  const db = await openDatabase(draft);
  await db.close();
  // initdb's files are copied in before PostgreSQL runs, so none of its syncs covers them.
  await syncTree(draft);
  try {
    await rename(draft, pgdata);
    await syncFile(dirname(pgdata));
  } catch (error) {
    // A folder made meanwhile (or an older version's) wins, and is opened as it is.
    if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    await rm(draft, { recursive: true, force: true });
  }
  for (const end of ends) process.off(end, abandon);
  if (process.connected) process.disconnect();
}

// Emscripten's errno numbers (its ERRNO_CODES), which PGlite's file system throws as `{ name: 'ErrnoError', errno }`.
const EMSCRIPTEN_ERRNO: Record<number, string> = {
  2: 'EACCES', 19: 'EDQUOT', 51: 'ENOSPC', 54: 'ENOTDIR', 63: 'EPERM', 69: 'EROFS',
};

/** One line for the parent to print: what is wrong with the data folder and what to do, when that is known. */
function describe(pgdata: string, error: unknown): { line: string; described: boolean } {
  const { name, errno } = (error ?? {}) as { name?: string; errno?: number };
  const message = error instanceof Error ? error.message
    : name === 'ErrnoError' ? (EMSCRIPTEN_ERRNO[errno!] ?? `file system error ${errno}`) : String(error);
  const reason = postgresReason();
  const dataDir = dirname(pgdata);
  const problem = dataFolderProblem(dataDir, { code: (error as NodeJS.ErrnoException).code, message: `${reason ?? ''} ${message}` });
  if (problem) return { line: problem, described: true };
  // PostgreSQL gave up on what it found (a damaged write-ahead log, a missing file): the data is not as it wrote it.
  if (reason) {
    return { line: `The database in ${dataDir} is damaged (${reason}): restore DATA_DIR from a backup`, described: true };
  }
  return { line: message.split('\n')[0]!, described: false };
}

const [command, pgdata, socketPath] = process.argv.slice(2);
try {
  if (command === 'serve') await serve(pgdata!, socketPath!);
  else await create(pgdata!);
} catch (error) {
  const { line, described } = describe(pgdata!, error);
  process.stderr.write(`${line}\n`); // the parent's one-line reason
  process.exit(described ? DESCRIBED_FAILURE : 1);
}
