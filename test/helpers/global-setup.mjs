// Before all tests: one migrated embedded database that each test file copies, instead of paying ~3 s to create one.
// Plain ESM on the built code (npm test builds first): jest loads global setup outside its ESM transform.
import 'reflect-metadata';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../dist/src/config.js';
import { migrate, openDatabase } from '../../dist/src/db/orm.js';

export default async function globalSetup() {
  if (process.env.DATABASE_URL) return;
  const dir = await mkdtemp(join(tmpdir(), 'ac-template-'));
  const database = await openDatabase(parseConfig({ DATA_DIR: dir }), 'cli');
  await migrate(database);
  await database.close();
  process.env.AUTH_CLIENTS_TEST_TEMPLATE = dir;
}
