// The embedded PostgreSQL (PGlite) in a data folder, served on a Unix socket so the ordinary driver, and other
// processes such as the CLI, can reach it. A PGlite folder must only ever be opened by one process: a lock file
// names the process that holds it, and everyone else connects through that process's socket.
import { createHash } from 'node:crypto';
import {
  mkdir, readFile, rm, unlink, writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { CHANGE_CHANNELS } from './change-feed.js';
import { NotificationScanner } from './notification-scanner.js';

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

async function readLock(lockPath: string): Promise<LockContent | undefined> {
  try {
    return JSON.parse(await readFile(lockPath, 'utf8')) as LockContent;
  } catch {
    return undefined; // gone, or being written right now
  }
}

/** Reads the NOTIFY messages in everything PGlite sends to the socket's clients (each call ends on a message boundary). */
function watchNotifications(db: PGlite, onNotification: (channel: string, payload: string) => void): void {
  const execute = db.execProtocolRawStream.bind(db);
  db.execProtocolRawStream = (message, options) => {
    const scanner = new NotificationScanner(onNotification);
    return execute(message, {
      ...options,
      onRawData: (data) => {
        scanner.push(data);
        options?.onRawData?.(data);
      },
    });
  };
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

  for (;;) {
    const mine: LockContent = { pid: process.pid, role, socketDir };
    try {
      await writeFile(lockPath, JSON.stringify(mine), { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(lockPath);
    if (holder && holder.pid !== process.pid && !isAlive(holder.pid)) {
      await rm(lockPath, { force: true }); // left by a process that died
      continue;
    }
    if (holder?.role === 'service' && holder.pid !== process.pid) {
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
    const db = new PGlite(join(dataDir, 'pgdata'), { extensions: { pg_trgm } });
    await db.waitReady;
    const listeners: Array<(channel: string, payload: string) => void> = [];
    watchNotifications(db, (channel, payload) => { for (const listener of listeners) listener(channel, payload); });
    // The one session listens, so every commit that notifies carries the notification back out through the socket.
    await db.exec(CHANGE_CHANNELS.map((channel) => `listen ${channel};`).join(' '));
    const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 64 });
    await server.start();
    return {
      socketDir,
      port: PORT,
      owned: true,
      onNotification: (listener) => { listeners.push(listener); },
      async close() {
        await server.stop();
        await db.close();
        await rm(socketPath, { force: true });
        await unlink(lockPath).catch(() => {});
      },
    };
  } catch (error) {
    await unlink(lockPath).catch(() => {});
    throw error;
  }
}
