// The client:* lifecycle commands as a process, against the database of a running service, which follows at once.
import { startApp, type TestApp } from '../helpers/app.js';
import { createUser, settled, type TestUser } from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { oauthError, passwordGrant } from '../helpers/oauth.js';
import { runCli } from '../helpers/process.js';
import { createTestStorage, type TestStorage } from '../helpers/storage.js';

let storage: TestStorage;
let service: TestApp;
let user: TestUser;

beforeAll(async () => {
  storage = await createTestStorage();
  service = await startApp(storage);
  user = await createUser(service);
});

afterAll(async () => {
  await service?.stop();
  await storage.dispose();
});

const cli = (args: string[]) => runCli(args, storage.env);
/** Runs a command with --json, expects success, and waits until the service has heard what it changed. */
const json = async (args: string[]) => {
  const result = await cli([...args, '--json']);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  await settled(service);
  return JSON.parse(result.stdout) as Record<string, unknown>;
};
const viewer = async (token: string) => {
  const result = await graphql(service.url, '{ viewer { id } }', {}, token);
  return (result.errors?.[0]?.extensions?.code as string | undefined) ?? 'OK';
};

it('runs a client from creation to deletion: update, disable, enable, revoke tokens, list, delete', async () => {
  const created = await json(['client:create', '--name', 'Ops Tool', '--grant', 'password', '--access-token-lifetime', '15m', '--skip-consent', 'true']);
  const client = { id: created.id as string, secret: created.secret as string };
  const first = await passwordGrant(service, client, user, 'openid offline_access');
  expect(first.expires_in).toBe(900);

  const updated = await json(['client:update', '--client', client.id, '--name', 'Ops Tool 2', '--access-token-lifetime', '120', '--refresh-token-lifetime', '2h']);
  expect(updated).toMatchObject({
    id: client.id, name: 'Ops Tool 2', enabled: true, skipConsent: true, accessTokenLifetime: 120, refreshTokenLifetime: 7200,
  });
  expect((await passwordGrant(service, client, user, 'openid')).expires_in).toBe(120);

  expect(await json(['client:disable', '--client', client.id])).toMatchObject({ enabled: false });
  expect(await viewer(first.access_token)).toBe('UNAUTHENTICATED');
  expect(await oauthError(passwordGrant(service, client, user))).toMatchObject({ error: 'invalid_client' });
  expect(await json(['client:enable', '--client', client.id])).toMatchObject({ enabled: true });
  expect(await viewer(first.access_token)).toBe('OK');

  const listed = await json(['client:list']);
  const entry = (listed.authClients as Array<Record<string, unknown>>).find((candidate) => candidate.id === client.id);
  expect(entry).toMatchObject({ name: 'Ops Tool 2', enabled: true, lastUsedAt: expect.stringMatching(/^\d{4}-/) });
  const text = await cli(['client:list']);
  expect(text.stdout).toMatch(new RegExp(`${client.id}\\s+enabled\\s+last used \\S+\\s+Ops Tool 2`));

  // The first sign-in (access and refresh token) and the second (access token only).
  expect(await json(['client:revoke-tokens', '--client', client.id])).toMatchObject({ id: client.id, revokedCount: 3 });
  expect(await viewer(first.access_token)).toBe('UNAUTHENTICATED');
  expect(await viewer((await passwordGrant(service, client, user, 'openid')).access_token)).toBe('OK');

  expect(await json(['client:delete', '--client', client.id])).toEqual({ deletedAuthClientId: client.id });
  expect(await oauthError(passwordGrant(service, client, user))).toMatchObject({ error: 'invalid_client' });
  expect(await json(['client:create', '--name', 'ops tool 2', '--grant', 'password'])).toMatchObject({ name: 'ops tool 2' });
});

it.each([
  [['client:disable', '--client', '00000000-0000-4000-8000-000000000000'], 1, /There is no auth client with the id/],
  [['client:delete', '--client', 'not-a-uuid'], 1, /There is no auth client with the id "not-a-uuid"/],
  [['client:revoke-tokens'], 2, /--client is required/],
  [['client:update', '--client', '00000000-0000-4000-8000-000000000000', '--access-token-lifetime', 'soon'], 2, /--access-token-lifetime is a number/],
  [['client:update', '--client', '00000000-0000-4000-8000-000000000000', '--skip-consent', 'yes'], 2, /--skip-consent is true or false/],
])('%j exits %i with a clear message', async (args, code, message) => {
  const result = await cli(args);
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(message);
});

it('validates an update as GraphQL does', async () => {
  const created = await json(['client:create', '--name', 'Strict Tool', '--grant', 'password']);
  const result = await cli(['client:update', '--client', created.id as string, '--access-token-lifetime', '30s']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/access token lifetime must be a whole number of seconds from 60/);
  const code = await cli(['client:update', '--client', created.id as string, '--grant', 'authorization_code', '--json']);
  expect(code.code).toBe(1);
  expect(JSON.parse(code.stdout)).toEqual({ error: expect.stringMatching(/Authorization Code grant needs at least one redirect URL/) });
});

it('creates a public client (--confidential false) with no secret, and gives it one with client:update --confidential true', async () => {
  const created = await json(['client:create', '--name', 'Mobile App', '--grant', 'authorization_code', '--redirect-uri', 'com.example.app:/callback', '--confidential', 'false']);
  expect(created).toMatchObject({ confidential: false, secret: null });
  expect((await cli(['client:rotate-secret', '--client', created.id as string])).code).not.toBe(0);
  const updated = await json(['client:update', '--client', created.id as string, '--confidential', 'true']);
  expect(updated).toMatchObject({ confidential: true, secret: expect.stringMatching(/^acs_/) });
});
