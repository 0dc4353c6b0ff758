// Developer tool: writes a migration for the difference between the entities and the committed migrations.
// Run with `npm run migration:create -- <name>`, then add its name to src/db/migrations/names.ts and its class to
// src/db/migrations/index.ts.
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config.js';
import { getMigrator, migrate, openDatabase } from './orm.js';

const dataDir = await mkdtemp(join(tmpdir(), 'auth-clients-migration-'));
const database = await openDatabase(parseConfig({ DATA_DIR: dataDir }), 'cli');
try {
  await migrate(database);
  const result = await (await getMigrator(database.orm)).createMigration(undefined, false, false, process.argv[2]);
  process.stdout.write(`${result.diff.up.length === 0 ? 'The entities match the migrations: nothing to write.' : `Wrote ${result.fileName}`}\n`);
} finally {
  await database.close();
  await rm(dataDir, { recursive: true, force: true });
}
