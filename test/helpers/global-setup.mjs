// Before all tests: one migrated embedded database that each test file copies, instead of paying ~3 s to create one.
// Plain ESM on the built code (npm test builds first): jest loads global setup outside its ESM transform.
import 'reflect-metadata';
import {
  accessSync, chmodSync, constants, mkdtempSync, statfsSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../dist/src/config.js';
import { migrate, openDatabase } from '../../dist/src/db/orm.js';

// A container's /dev/shm is often 64 MiB (Docker's default): too small for the suite's folders, which stay on disk then.
const MIN_FREE_BYTES = 2 * 2 ** 30;

/**
 * Where Linux keeps a memory file system (tmpfs), if it lets us write and has room: the tests' data folders, databases
 * and copies go there. Every embedded database syncs its files as it commits (src/db/pglite-durable-fs.ts), and each
 * test file copies a 39 MB, 1,052-file template: on disk, the suite waited for writes that no test needs to survive a
 * power cut. The same system calls are made, so the durability test still counts them.
 */
function memoryTmpdir() {
  const shm = '/dev/shm';
  try {
    accessSync(shm, constants.W_OK);
    const { bavail, bsize } = statfsSync(shm);
    if (bavail * bsize < MIN_FREE_BYTES) return undefined;
    const dir = mkdtempSync(join(shm, 'auth-clients-test-'));
    // Open to every user, as /tmp is: some tests run PostgreSQL clusters of their own as the postgres user.
    chmodSync(dir, 0o1777);
    return dir;
  } catch {
    return undefined;
  }
}

export default async function globalSetup() {
  // Workers and the processes they start inherit it: os.tmpdir() reads TMPDIR.
  const memory = process.env.TEST_TMPDIR_ON_DISK ? undefined : memoryTmpdir();
  if (memory) {
    process.env.TMPDIR = memory;
    process.env.AUTH_CLIENTS_TEST_TMPDIR = memory;
  }
  if (process.env.DATABASE_URL) return;
  const dir = await mkdtemp(join(tmpdir(), 'ac-template-'));
  const database = await openDatabase(parseConfig({ DATA_DIR: dir }), 'cli');
  await migrate(database);
  await database.close();
  process.env.AUTH_CLIENTS_TEST_TEMPLATE = dir;
}
