// After all tests: remove the template database, and the memory folder the tests' files were kept in.
import { rm } from 'node:fs/promises';

export default async function globalTeardown() {
  for (const dir of [process.env.AUTH_CLIENTS_TEST_TEMPLATE, process.env.AUTH_CLIENTS_TEST_TMPDIR]) {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
