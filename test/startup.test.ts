// The service as a process: first start on an empty database, the admin it creates, restarts, and refusing to start
// with a one-line reason when something is wrong.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './helpers/app.js';
import { oauthError, oidc } from './helpers/oauth.js';
import {
  childrenOf, MAIN, run, runCli, startService,
} from './helpers/process.js';
import { createTestStorage, type TestStorage } from './helpers/storage.js';

let storage: TestStorage;

// An empty database, as on a first start (in embedded mode, an empty data folder: cheap until a service starts on it).
beforeEach(async () => {
  storage = await createTestStorage({ fresh: true });
});

/**
 * For the tests that start the service more than they test creating a database: a migrated one that nobody has
 * started yet (in embedded mode, a copy of the suite's template). Every start on it is still a first start (no Super
 * Admin, no APP_KEY recorded); the first test below starts on a truly empty one.
 */
async function migratedStorage(): Promise<TestStorage> {
  await storage.dispose();
  storage = await createTestStorage();
  return storage;
}

afterEach(async () => {
  await storage.dispose();
});

async function signIn(env: Record<string, string>, username: string, password: string) {
  const client = JSON.parse((await runCli(['client:create', '--name', `Desktop ${Math.random()}`, '--grant', 'password', '--json'], env)).stdout) as { id: string; secret: string };
  const config = await oidc.discovery(new URL(`http://localhost:${env.PORT}/oidc`), client.id, undefined, oidc.ClientSecretBasic(client.secret), {
    execute: [oidc.allowInsecureRequests],
  });
  return oidc.genericGrantRequest(config, 'password', { username, password, scope: 'openid' });
}

it('creates a Super Admin "admin" with a random password on first start, prints it once, and never again; /healthz answers', async () => {
  const env = { ...storage.env, PORT: String(await freePort()) };
  const first = await startService(env);
  const health = await fetch(`http://localhost:${env.PORT}/healthz`);
  expect({ status: health.status, body: await health.json() }).toEqual({ status: 200, body: { status: 'ok' } });
  const password = /password:\s+(\S+)/.exec(first.stdout())?.[1];
  expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
  expect(first.stderr()).not.toContain(password);
  const tokens = await signIn(env, 'admin', password!);
  expect(tokens.access_token).toEqual(expect.any(String));
  expect(await first.stop()).toBe(0);

  const second = await startService(env);
  expect(second.stdout()).toBe('');
  expect((await signIn(env, 'admin', password!)).access_token).toEqual(expect.any(String));
  expect(await second.stop()).toBe(0);
});

it('prints no warning of Node\'s while it starts and answers GraphQL, over GET with a query string and POST', async () => {
  const env = { ...(await migratedStorage()).env, PORT: String(await freePort()) };
  const service = await startService(env);
  try {
    const url = `http://localhost:${env.PORT}/graphql`;
    // Apollo reads a GET's operation from the query string (@as-integrations/express5, patched: it used url.parse).
    const viaGet = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}#ignored`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await viaGet.json()).toEqual({ data: { __typename: 'Query' } });
    const viaPost = await fetch(`${url}?unused=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(await viaPost.json()).toEqual({ data: { __typename: 'Query' } });
  } finally {
    expect(await service.stop()).toBe(0);
  }
  // Node prints its warnings as "(node:<pid>) [DEP…] …Warning: …" on stderr; the service's own log lines are JSON.
  expect(service.stderr()).not.toMatch(/\(node:\d+\)/);
});

it('creates the Super Admin named by ADMIN_USERNAME and ADMIN_PASSWORD, printing no password', async () => {
  const env = {
    ...(await migratedStorage()).env, PORT: String(await freePort()), ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'correct horse battery',
  };
  const service = await startService(env);
  expect(service.stdout()).toBe('');
  expect(service.stderr()).not.toContain('correct horse battery');
  expect((await signIn(env, 'root', 'correct horse battery')).access_token).toEqual(expect.any(String));
  expect(await oauthError(signIn(env, 'admin', 'anything-at-all'))).toMatchObject({ error: 'invalid_grant' });
  await service.stop();

  // A later start with other values changes nobody.
  const again = await startService({ ...env, ADMIN_PASSWORD: 'another password' });
  expect(await oauthError(signIn(env, 'root', 'another password'))).toMatchObject({ error: 'invalid_grant' });
  await again.stop();
});

describe('refuses to start, with one line naming the problem', () => {
  it.each([
    ['PORT', { PORT: 'http' }, /^Invalid configuration: PORT must be a whole number/],
    ['PORT', { PORT: '70000' }, /^Invalid configuration: PORT must be a whole number/],
    ['PUBLIC_URL', { PUBLIC_URL: 'localhost:4000' }, /^Invalid configuration: PUBLIC_URL must be an absolute http\(s\) URL/],
    ['APP_KEY', { APP_KEY: 'too-short' }, /^Invalid configuration: APP_KEY must be at least 32 characters/],
    ['APP_KEY', { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x', APP_KEY: '' }, /^Invalid configuration: APP_KEY is required when DATABASE_URL is set/],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/db' }, /^Invalid configuration: DATABASE_URL must be a postgres:\/\/ URL/],
    ['ADMIN_PASSWORD', { ADMIN_USERNAME: 'root' }, /^Invalid configuration: ADMIN_PASSWORD must be set together/],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL must be one of/],
    ['TRUST_PROXY', { TRUST_PROXY: 'yes' }, /^Invalid configuration: TRUST_PROXY must be true, false, a number of hops, or a comma-separated list/],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/33' }, /^Invalid configuration: TRUST_PROXY must be true, false, a number of hops/],
  ])('a bad %s', async (_variable, env, message) => {
    const result = await run(MAIN, [], { ...storage.env, ...env });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').filter((line) => !line.includes('oidc-provider WARNING'))).toEqual([expect.stringMatching(message)]);
  });

  it('an ADMIN_PASSWORD that the password policy refuses, creating nobody', async () => {
    const env = { ...(await migratedStorage()).env, PORT: String(await freePort()), ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'password1234' };
    const result = await run(MAIN, [], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').filter((line) => !line.includes('oidc-provider WARNING')))
      .toEqual([expect.stringMatching(/^Invalid configuration: ADMIN_PASSWORD is refused: This password is too easy to guess/)]);
    // Nothing was created: a start with an acceptable password makes the Super Admin then.
    const service = await startService({ ...env, ADMIN_PASSWORD: 'correct horse battery' });
    expect((await signIn(env, 'root', 'correct horse battery')).access_token).toEqual(expect.any(String));
    await service.stop();
  });

  it('an APP_KEY other than the one the database was set up with', async () => {
    const env = { ...(await migratedStorage()).env, PORT: String(await freePort()) };
    await (await startService(env)).stop();
    if (storage.mode === 'embedded') await writeFile(join(storage.env.DATA_DIR!, 'app-key'), 'x'.repeat(40));
    const result = await run(MAIN, [], { ...env, APP_KEY: 'y'.repeat(40) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^APP_KEY does not match the key this database was first started with/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

/** Whether `pid` still runs: exited processes, and zombies waiting for an init to collect them, do not. */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

(process.env.DATABASE_URL ? it.skip : it)('refuses a second service on the same data folder, and starts again after a crash', async () => {
  const env = { ...(await migratedStorage()).env, PORT: String(await freePort()) };
  const first = await startService(env);
  const second = await run(MAIN, [], { ...env, PORT: String(await freePort()) });
  expect(second.code).toBe(1);
  expect(second.stderr).toMatch(/is in use by another running service \(pid \d+\)/);

  // A crash leaves the lock file and the socket behind; the next start must not be blocked by them. The process
  // running the embedded database ends with the service, even so.
  const database = await childrenOf(first.child.pid!);
  expect(database).toHaveLength(1);
  first.child.kill('SIGKILL');
  await new Promise((resolve) => { first.child.on('close', resolve); });
  for (let waited = 0; await running(database[0]!) && waited < 5000; waited += 50) await new Promise((resolve) => { setTimeout(resolve, 50); });
  expect(await running(database[0]!)).toBe(false);
  const restarted = await startService(env);
  expect(await restarted.stop()).toBe(0);
});

(process.env.DATABASE_URL ? it.skip : it)('stops with one line naming the cause when its embedded database process dies', async () => {
  const service = await startService({ ...(await migratedStorage()).env, PORT: String(await freePort()) });
  const [database] = await childrenOf(service.child.pid!);
  const exited = new Promise<number | null>((resolve) => { service.child.on('close', resolve); });
  process.kill(database!, 'SIGKILL');
  expect(await exited).toBe(1);
  expect(service.stderr()).toMatch(/^The embedded database in .+ failed: killed by SIGKILL$/m);
  expect(service.stderr()).not.toMatch(/\n\s+at /);
});
