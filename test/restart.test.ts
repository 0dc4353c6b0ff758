// Nothing lives only in one process: a restart keeps clients, users, tokens and keys, and two instances on one
// PostgreSQL server behave as one.
import * as jose from 'jose';
import { PERMISSIONS } from '../src/access-control/permissions.js';
import { startApp, type TestApp } from './helpers/app.js';
import { createClient, createUser } from './helpers/fixtures.js';
import { CREATE_AUTH_CLIENT, graphql, LIST_AUTH_CLIENTS } from './helpers/graphql.js';
import { clientConfig, oauthError, oidc, passwordGrant } from './helpers/oauth.js';
import { createTestStorage, serverUrl, type TestStorage } from './helpers/storage.js';

let storage: TestStorage;
const running: TestApp[] = [];

beforeEach(async () => {
  storage = await createTestStorage();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.stop()));
  await storage.dispose();
});

async function start(env: Record<string, string> = {}): Promise<TestApp> {
  const app = await startApp(storage, env);
  running.push(app);
  return app;
}

async function stop(app: TestApp): Promise<void> {
  running.splice(running.indexOf(app), 1);
  await app.stop();
}

it('keeps clients, users, still-valid tokens and signing keys across a restart', async () => {
  const first = await start();
  const user = await createUser(first, { permissions: [PERMISSIONS.viewAuthClients, PERMISSIONS.createAuthClients] });
  const client = await createClient(first);
  const tokens = await passwordGrant(first, client, user, 'openid offline_access auth_clients:read auth_clients:write');
  const created = await graphql<{ createAuthClient: { authClient: { id: string }; clientSecret: string } }>(
    first.url, CREATE_AUTH_CLIENT, { input: { name: 'Survives Restarts', grants: ['PASSWORD'] } }, tokens.access_token,
  );
  const survivor = { id: created.data!.createAuthClient.authClient.id, secret: created.data!.createAuthClient.clientSecret };
  const jwksBefore = await (await fetch(`${first.issuer}/jwks`)).json();
  await stop(first);

  // Same port, so the same issuer, as a real restart would have.
  const second = await start({ PORT: String(first.config.port) });
  // The same access token still works, and the clients are all there (with the built-in Admin Console).
  const list = await graphql<{ authClients: { totalCount: number } }>(second.url, LIST_AUTH_CLIENTS, {}, tokens.access_token);
  expect(list.errors).toBeUndefined();
  expect(list.data?.authClients.totalCount).toBe(3);
  expect(second.app.adminConsole.clientId).toBe(first.app.adminConsole.clientId);
  // The refresh token, the user's password and the new client's secret still work.
  const refreshed = await oidc.refreshTokenGrant(await clientConfig(second, client), tokens.refresh_token!);
  expect(refreshed.access_token).toEqual(expect.any(String));
  expect((await passwordGrant(second, survivor, user, 'openid')).access_token).toEqual(expect.any(String));
  // The signing keys are the same, so an ID token from before the restart still verifies.
  expect(await (await fetch(`${second.issuer}/jwks`)).json()).toEqual(jwksBefore);
  await jose.jwtVerify(tokens.id_token!, jose.createRemoteJWKSet(new URL(`${second.issuer}/jwks`)), { issuer: second.issuer });
});

it('does not create a second admin or change any user on a restart', async () => {
  const first = await start();
  const users = await first.em().execute('select id, username, password_hash, updated_at from users order by id');
  await stop(first);
  const second = await start();
  expect(second.app.createdAdmin).toBeUndefined();
  expect(await second.em().execute('select id, username, password_hash, updated_at from users order by id')).toEqual(users);
});

(serverUrl ? describe : describe.skip)('two instances on one PostgreSQL server', () => {
  it('share clients, tokens, revocations and keys', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(await (await fetch(`${a.issuer}/jwks`)).json()).toEqual(await (await fetch(`${b.issuer}/jwks`)).json());

    const user = await createUser(a, { permissions: [PERMISSIONS.viewAuthClients, PERMISSIONS.createAuthClients] });
    const client = await createClient(a);
    const tokens = await passwordGrant(a, client, user, 'openid auth_clients:read auth_clients:write');
    // A token from A works on B, and a client created on B works at A's token endpoint at once.
    const created = await graphql<{ createAuthClient: { authClient: { id: string }; clientSecret: string } }>(
      b.url, CREATE_AUTH_CLIENT, { input: { name: 'Made on B', grants: ['PASSWORD'] } }, tokens.access_token,
    );
    expect(created.errors).toBeUndefined();
    const onA = await passwordGrant(a, { id: created.data!.createAuthClient.authClient.id, secret: created.data!.createAuthClient.clientSecret }, user, 'openid');
    // An ID token signed by A verifies against B's keys.
    await jose.jwtVerify(tokens.id_token!, jose.createRemoteJWKSet(new URL(`${b.issuer}/jwks`)));

    // Revoked on B, refused on A at once.
    await oidc.tokenRevocation(await clientConfig(b, client), tokens.access_token);
    expect((await graphql(a.url, '{ viewer { id } }', {}, tokens.access_token)).status).toBe(401);
    expect((await graphql(a.url, '{ viewer { id } }', {}, onA.access_token)).status).toBe(200);
    expect(await oauthError(passwordGrant(b, client, { username: user.username, password: 'wrong' }))).toMatchObject({ error: 'invalid_grant' });
  });
});
