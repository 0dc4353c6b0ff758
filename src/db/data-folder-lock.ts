// The lock on an embedded data folder: a Unix socket that its holder listens on. The kernel ends the listening with
// the last process holding it (the holder and its database process), however they end, so a lock can never outlive
// them, and no process id is ever guessed at. Whoever connects hears who holds the folder, and in what state.
import { randomBytes } from 'node:crypto';
import {
  link, rename, rm, stat, unlink,
} from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';

export type LockRole = 'service' | 'cli';

/** What a holder answers to every connection: one JSON line. */
export interface LockHolder {
  role: LockRole;
  pid: number;
  /** starting: opening the database; ready: serving it on its socket; stopping: closing it. */
  state: 'starting' | 'ready' | 'stopping';
}

/** Answers each connection on `server` with the holder as it is at that moment, and closes it. */
export function answerWith(server: Server, holder: () => LockHolder): void {
  server.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.end(`${JSON.stringify(holder())}\n`);
  });
}

export interface HeldLock {
  /** The listening socket, to share with the database process so that the lock lasts until that process ends too. */
  server: Server;
  release(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 2_000;

/** The holder behind a live lock, `undefined` when it is live but did not say (busy, or another version); `'stale'` when nobody listens. */
function probe(path: string): Promise<LockHolder | undefined | 'stale'> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    let answer = '';
    const timer = setTimeout(() => { socket.destroy(); resolve(undefined); }, PROBE_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString(); });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(answer) as LockHolder);
      } catch {
        resolve(undefined);
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // Refused: a socket nobody listens on any more, or not a socket at all (an empty or garbage file, an older
      // version's lock file). Gone: released meanwhile. Both: try again to take it.
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT' || error.code === 'ENOTSOCK') resolve('stale');
      else resolve(undefined);
    });
  });
}

/** Whether something accepts connections on the Unix socket `path`. */
export function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.on('connect', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

const suffix = () => randomBytes(4).toString('hex');

/**
 * Removes the stale entry `ino` at `path`, and only that one: renamed aside first, it is checked to be the same file.
 * If another starter replaced it with a live lock meanwhile, that lock is put back under its name at once.
 */
async function removeStale(path: string, ino: number): Promise<void> {
  const aside = `${path}.stale-${suffix()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((await stat(aside)).ino !== ino) await link(aside, path).catch(() => {});
  await rm(aside, { recursive: true, force: true });
}

/**
 * Takes the lock at `path`, or says who holds it. A new lock is made listening under a name of its own and then
 * linked to `path` (which fails if `path` exists), so a lock is live from the moment it exists: a refused connection
 * always means a stale one.
 */
export async function tryLock(path: string, holder: () => LockHolder): Promise<{ lock: HeldLock } | { holder: LockHolder | undefined }> {
  for (;;) {
    const draft = `${path}.${suffix()}`;
    const server = createServer();
    answerWith(server, holder);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(draft, () => { server.off('error', reject); resolve(); });
    });
    let linked = false;
    try {
      await link(draft, path);
      linked = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        await new Promise((resolve) => { server.close(resolve); }); // also removes `draft`
        throw error;
      }
    }
    await unlink(draft).catch(() => {});
    if (linked) {
      const { ino } = await stat(path);
      return {
        lock: {
          server,
          async release() {
            await new Promise((resolve) => { server.close(resolve); });
            // Only our own: after a release, `path` may already be someone else's lock.
            if ((await stat(path).catch(() => undefined))?.ino === ino) await unlink(path).catch(() => {});
          },
        },
      };
    }
    await new Promise((resolve) => { server.close(resolve); });
    const existing = await stat(path).catch(() => undefined);
    if (!existing) continue;
    const answer = await probe(path);
    if (answer !== 'stale') return { holder: answer };
    await removeStale(path, existing.ino);
  }
}
