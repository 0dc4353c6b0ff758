// The embedded PostgreSQL's own process, started by db/embedded.ts: `serve <pgdata> <socket>` runs PGlite on a Unix
// socket, off the event loop of the process that started it; `create <pgdata>` creates a new data folder and exits.
import { rmSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { LISTEN_TO_CHANGES } from './change-feed.js';
import type { NotificationMessage } from './embedded.js';
import { NotificationScanner } from './notification-scanner.js';

// PostgreSQL's 128 MB of shared buffers are sized for a dedicated server, and PGlite touches all of them at start:
// ~145 MiB of memory for a database of a few MB that the OS caches anyway. A run-time setting only: the folder's
// own postgresql.conf stays as initdb wrote it.
const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

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
    const db = await PGlite.create(pgdata, { startParams, extensions: { pg_trgm } });
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
  // Listening from the start: a request to stop, or the parent's end, may come while PGlite is still starting.
  process.once('message', stop);
  process.once('disconnect', stop);
  await started;
  if (process.connected) process.send!('ready');
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
  const db = await PGlite.create(draft, { startParams });
  await db.close();
  try {
    await rename(draft, pgdata);
  } catch (error) {
    // A folder made meanwhile (or an older version's) wins, and is opened as it is.
    if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    await rm(draft, { recursive: true, force: true });
  }
  for (const end of ends) process.off(end, abandon);
  if (process.connected) process.disconnect();
}

const [command, pgdata, socketPath] = process.argv.slice(2);
try {
  if (command === 'serve') await serve(pgdata!, socketPath!);
  else await create(pgdata!);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`); // the parent's one-line reason
  process.exit(1);
}
