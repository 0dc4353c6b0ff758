// A database of its own for each test file: a copy of the migrated embedded template, or a new database on the
// PostgreSQL server named by DATABASE_URL (as .ci/run's second pass does).
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestStorage {
  mode: 'embedded' | 'server';
  /** The environment that points the service (or the CLI) at this database. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export const serverUrl = process.env.DATABASE_URL;

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `fresh`: an empty database, as on a first start; otherwise already migrated where that is cheaper. */
export async function createTestStorage({ fresh = false } = {}): Promise<TestStorage> {
  if (serverUrl) {
    const name = `auth_clients_test_${randomBytes(6).toString('hex')}`;
    await onServer(`create database "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      mode: 'server',
      env: { DATABASE_URL: url.href, APP_KEY: randomBytes(36).toString('base64url') },
      dispose: () => onServer(`drop database if exists "${name}" with (force)`),
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'ac-test-'));
  const template = process.env.AUTH_CLIENTS_TEST_TEMPLATE;
  if (!fresh && template) await cp(join(template, 'pgdata'), join(dir, 'pgdata'), { recursive: true });
  return {
    mode: 'embedded',
    env: { DATA_DIR: dir },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
