// After all tests: remove the template database.
import { rm } from 'node:fs/promises';

export default async function globalTeardown() {
  const dir = process.env.AUTH_CLIENTS_TEST_TEMPLATE;
  if (dir) await rm(dir, { recursive: true, force: true });
}
