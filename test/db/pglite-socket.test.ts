// The embedded database's socket server (pglite-socket, patched in patches/@electric-sql+pglite-socket+0.2.17.patch)
// runs every connection's messages through one queue. A message that PGlite fails to run must fail only its own
// connection: unpatched, the queue stayed marked busy and every later query, from any connection, hung for good.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';

let db: PGlite;
let server: PGLiteSocketServer;
let failNext = false;

beforeAll(async () => {
  db = await PGlite.create();
  // PGlite itself, except that the next message run fails when asked to, as an internal error of PGlite would.
  const failing = new Proxy(db, {
    get(target, property) {
      if (property === 'execProtocolRawStream') {
        return async (...args: Parameters<PGlite['execProtocolRawStream']>) => {
          if (failNext) {
            failNext = false;
            throw new Error('PGlite failed to run the message');
          }
          return target.execProtocolRawStream(...args);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  server = new PGLiteSocketServer({ db: failing, host: '127.0.0.1', port: 0, maxConnections: 8 });
  await server.start();
});

afterAll(async () => {
  await server.stop();
  await db.close();
});

const connect = async () => {
  const client = new pg.Client({ host: '127.0.0.1', port: (server as unknown as { port: number }).port, user: 'postgres', database: 'postgres' });
  client.on('error', () => {});
  await client.connect();
  return client;
};

it('keeps serving other connections after a message fails inside PGlite', async () => {
  const victim = await connect();
  const other = await connect();
  failNext = true;
  await expect(victim.query('select 1')).rejects.toThrow();
  // Answered, not hung: a new connection, and one that was open.
  const late = await connect();
  expect((await late.query('select 2 as n')).rows).toEqual([{ n: 2 }]);
  expect((await other.query('select 3 as n')).rows).toEqual([{ n: 3 }]);
  await Promise.all([late.end(), other.end(), victim.end().catch(() => {})]);
}, 15_000);
