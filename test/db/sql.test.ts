// Transactions beside concurrent queries: on the embedded database, pglite-socket runs one protocol message at a time
// from any connection; a transaction's BEGIN arriving between another query's Parse and Bind broke that query
// ("portal does not exist") or hung it, until the patch in patches/@electric-sql+pglite-socket+0.2.17.patch kept each
// connection's Parse…Sync together. On a server these simply run side by side.
import type { Sql } from '../../src/db/sql.js';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();
const sqlOf = () => (t.current.app.services.auditLog as unknown as { sql: Sql }).sql;
const failures = (results: PromiseSettledResult<unknown>[]) => results.filter((result) => result.status === 'rejected').map((result) => String(result.reason));

it('runs ten Sql.transaction calls beside ten parameterised queries, all of them', async () => {
  const results = await Promise.allSettled([
    ...Array.from({ length: 10 }, (_, i) => sqlOf().transaction(async (tx) => {
      await tx.one('select $1::int as n', [i]);
      return (await tx.one<{ n: number }>('select $1::int as n', [i]))!.n;
    })),
    ...Array.from({ length: 10 }, async (_, i) => (await sqlOf().one<{ n: number }>('select $1::int as n', [i]))!.n),
  ]);
  expect(failures(results)).toEqual([]);
  expect(results.map((result) => (result as PromiseFulfilledResult<number>).value)).toEqual([...Array(10).keys(), ...Array(10).keys()]);
}, 20_000);

it('runs ten em.transactional calls beside ten parameterised queries, all of them', async () => {
  const results = await Promise.allSettled([
    ...Array.from({ length: 10 }, (_, i) => t.current.em().transactional(async (tx) => {
      await tx.execute('select ?::int as n', [i]);
      return i;
    })),
    ...Array.from({ length: 10 }, (_, i) => sqlOf().one('select $1::int as n', [i])),
  ]);
  expect(failures(results)).toEqual([]);
}, 20_000);

it('rolls back a Sql.transaction whose work throws, and keeps the work\'s error', async () => {
  await expect(sqlOf().transaction(async (tx) => {
    await tx.run("insert into settings (key, value) values ('sql-test', 'x')");
    throw new Error('changed my mind');
  })).rejects.toThrow('changed my mind');
  expect(await sqlOf().one("select * from settings where key = 'sql-test'")).toBeUndefined();
});
