// Rotating a client's secret without downtime: two secrets work for a while, at the token endpoint, introspection and
// revocation; the old one stops when it expires or is revoked; each records its last use; the CLI rotates too.
import { PERMISSIONS } from '../../src/access-control/permissions.js';
import { useTestApp } from '../helpers/app.js';
import {
  changeInSql, createClient, createGroup, createUser, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import { graphql, type GraphQLResult } from '../helpers/graphql.js';
import {
  clientConfig, oauthError, oidc, passwordGrant,
} from '../helpers/oauth.js';
import { runCli } from '../helpers/process.js';

const SECRET_FIELDS = 'id prefix createdAt expiresAt lastUsedAt';
const ROTATE = `mutation Rotate($id: ID!, $previousSecretExpiresIn: Int) {
  rotateAuthClientSecret(id: $id, previousSecretExpiresIn: $previousSecretExpiresIn) {
    clientSecret
    authClient { id secretPrefix secrets { ${SECRET_FIELDS} } }
  }
}`;
const ROTATE_WITH_DEFAULT = `mutation Rotate($id: ID!) {
  rotateAuthClientSecret(id: $id) { clientSecret authClient { secrets { ${SECRET_FIELDS} } } }
}`;
const REVOKE = `mutation Revoke($id: ID!, $secretId: ID!) {
  revokeAuthClientSecret(id: $id, secretId: $secretId) { id secretPrefix secrets { ${SECRET_FIELDS} } }
}`;
const SECRETS = `query Secrets($id: ID!) { authClient(id: $id) { secretPrefix secrets { ${SECRET_FIELDS} } } }`;

interface Secret { id: string; prefix: string; createdAt: string; expiresAt: string | null; lastUsedAt: string | null }
interface Rotated { rotateAuthClientSecret: { clientSecret: string; authClient: { id: string; secretPrefix: string; secrets: Secret[] } } }
interface Revoked { revokeAuthClientSecret: { id: string; secretPrefix: string; secrets: Secret[] } }

const t = useTestApp();
let admin: TestUser;
let token: string;

beforeAll(async () => {
  admin = await createUser(t.current, { permissions: [PERMISSIONS.viewAuthClients, PERMISSIONS.editAuthClients] });
  token = (await passwordGrant(t.current, await createClient(t.current), admin)).access_token;
});

async function rotate(id: string, previousSecretExpiresIn?: number | null, as = token): Promise<GraphQLResult<Rotated>> {
  return graphql<Rotated>(t.current.url, ROTATE, previousSecretExpiresIn === undefined ? { id } : { id, previousSecretExpiresIn }, as);
}

async function rotated(id: string, previousSecretExpiresIn?: number): Promise<Rotated['rotateAuthClientSecret']> {
  const result = await rotate(id, previousSecretExpiresIn);
  expect(result.errors).toBeUndefined();
  return result.data!.rotateAuthClientSecret;
}

const revoke = (id: string, secretId: string, as = token) => graphql<Revoked>(t.current.url, REVOKE, { id, secretId }, as);

async function secretsOf(id: string): Promise<Secret[]> {
  const result = await graphql<{ authClient: { secretPrefix: string; secrets: Secret[] } }>(t.current.url, SECRETS, { id }, token);
  expect(result.errors).toBeUndefined();
  const { secretPrefix, secrets } = result.data!.authClient;
  expect(secretPrefix).toBe(secrets[0]!.prefix);
  return secrets;
}

const errorOf = (result: Pick<GraphQLResult<unknown>, 'errors'>) => {
  const [error] = result.errors ?? [];
  return { code: error?.extensions?.code, field: error?.extensions?.field };
};

/** Whether the secret authenticates the client at the token endpoint. */
async function tokenEndpointAccepts(client: TestClient): Promise<boolean> {
  const request = passwordGrant(t.current, client, admin, 'openid');
  try {
    await request;
    return true;
  } catch {
    // HTTP Basic authentication refused: 401, invalid_client in the WWW-Authenticate challenge.
    expect(await oauthError(request)).toMatchObject({ error: 'invalid_client', status: 401 });
    return false;
  }
}

/** The secret authenticates the client at all three endpoints: token, introspection and revocation. */
async function expectWorksEverywhere(client: TestClient): Promise<void> {
  const { access_token: accessToken } = await passwordGrant(t.current, client, admin, 'openid');
  const config = await clientConfig(t.current, client);
  expect((await oidc.tokenIntrospection(config, accessToken)).active).toBe(true);
  await expect(oidc.tokenRevocation(config, accessToken)).resolves.toBeUndefined();
  expect((await oidc.tokenIntrospection(config, accessToken)).active).toBe(false);
}

/** The secret is refused with invalid_client at all three endpoints. */
async function expectRefusedEverywhere(client: TestClient, working: TestClient): Promise<void> {
  expect(await oauthError(passwordGrant(t.current, client, admin, 'openid'))).toMatchObject({ error: 'invalid_client', status: 401 });
  const { access_token: accessToken } = await passwordGrant(t.current, working, admin, 'openid');
  const config = await clientConfig(t.current, client);
  expect(await oauthError(oidc.tokenIntrospection(config, accessToken))).toMatchObject({ error: 'invalid_client' });
  expect(await oauthError(oidc.tokenRevocation(config, accessToken))).toMatchObject({ error: 'invalid_client' });
}

const secondsFromNow = (iso: string | null) => (new Date(iso!).getTime() - Date.now()) / 1000;

describe('rotateAuthClientSecret', () => {
  it('gives a new secret shown once; both work everywhere until the old one expires, then only the new one', async () => {
    const old = await createClient(t.current);
    await expectWorksEverywhere(old);
    const before = await secretsOf(old.id);

    const { clientSecret, authClient } = await rotated(old.id, 3);
    const renewed = { id: old.id, secret: clientSecret };
    expect(clientSecret).toMatch(/^acs_[A-Za-z0-9_-]{43}$/);
    expect(clientSecret).not.toBe(old.secret);
    expect(authClient.secretPrefix).toBe(clientSecret.slice(0, 10));
    expect(authClient.secrets).toEqual([
      {
        id: expect.any(String), prefix: authClient.secretPrefix, createdAt: expect.any(String), expiresAt: null, lastUsedAt: null,
      },
      expect.objectContaining({ id: before[0]!.id, prefix: before[0]!.prefix, createdAt: before[0]!.createdAt }),
    ]);
    const { expiresAt } = authClient.secrets[1]!;
    expect(secondsFromNow(expiresAt)).toBeGreaterThan(0);
    expect(secondsFromNow(expiresAt)).toBeLessThanOrEqual(3);
    expect(JSON.stringify(await secretsOf(old.id))).not.toContain(clientSecret);

    await expectWorksEverywhere(old);
    await expectWorksEverywhere(renewed);

    // Nothing announces an expiry: the cached client must check the time itself.
    await new Promise((resolve) => { setTimeout(resolve, Math.max(0, new Date(expiresAt!).getTime() + 100 - Date.now())); });
    await expectRefusedEverywhere(old, renewed);
    await expectWorksEverywhere(renewed);
    expect((await secretsOf(old.id)).map((secret) => secret.prefix)).toEqual([authClient.secretPrefix]);
  });

  it('stops the previous secret at once with previousSecretExpiresIn 0, on the very next request', async () => {
    const old = await createClient(t.current);
    expect(await tokenEndpointAccepts(old)).toBe(true); // its metadata is now cached
    const { clientSecret, authClient } = await rotated(old.id, 0);
    expect(authClient.secrets).toHaveLength(1);
    await expectRefusedEverywhere(old, { id: old.id, secret: clientSecret });
  });

  it('keeps the previous secret for a day when previousSecretExpiresIn is left out', async () => {
    const old = await createClient(t.current);
    const result = await graphql<Rotated>(t.current.url, ROTATE_WITH_DEFAULT, { id: old.id }, token);
    expect(result.errors).toBeUndefined();
    const [current, previous] = result.data!.rotateAuthClientSecret.authClient.secrets;
    expect(current!.expiresAt).toBeNull();
    expect(secondsFromNow(previous!.expiresAt)).toBeGreaterThan(86_400 - 60);
    expect(secondsFromNow(previous!.expiresAt)).toBeLessThanOrEqual(86_400);
    // An explicit null means the default too.
    const withNull = await rotated(old.id, null as unknown as number);
    expect(secondsFromNow(withNull.authClient.secrets[1]!.expiresAt)).toBeGreaterThan(86_400 - 60);
  });

  it('ends the oldest secret at once when rotating while two work: the one current until now keeps its overlap', async () => {
    const first = await createClient(t.current);
    const second = { id: first.id, secret: (await rotated(first.id, 3600)).clientSecret };
    const third = await rotated(first.id, 600);
    const newest = { id: first.id, secret: third.clientSecret };

    expect(third.authClient.secrets.map((secret) => secret.prefix)).toEqual([newest.secret.slice(0, 10), second.secret.slice(0, 10)]);
    expect(secondsFromNow(third.authClient.secrets[1]!.expiresAt)).toBeGreaterThan(590);
    expect(secondsFromNow(third.authClient.secrets[1]!.expiresAt)).toBeLessThanOrEqual(600);
    await expectRefusedEverywhere(first, newest);
    expect(await tokenEndpointAccepts(second)).toBe(true);
    expect(await tokenEndpointAccepts(newest)).toBe(true);
  });

  it('never lengthens an expiry the current secret already had', async () => {
    const client = await createClient(t.current);
    const [current] = await secretsOf(client.id);
    await changeInSql(t.current, "update auth_client_secrets set expires_at = now() + interval '10 minutes' where id = ?", [current!.id]);
    const { authClient } = await rotated(client.id, 3600);
    expect(authClient.secrets[1]!.id).toBe(current!.id);
    expect(secondsFromNow(authClient.secrets[1]!.expiresAt)).toBeGreaterThan(590);
    expect(secondsFromNow(authClient.secrets[1]!.expiresAt)).toBeLessThanOrEqual(600);
  });

  it('leaves at most two working secrets after ten concurrent rotations of one client, each answered', async () => {
    const client = await createClient(t.current);
    const results = await Promise.all(Array.from({ length: 10 }, () => rotate(client.id)));
    expect(results.map((result) => result.errors)).toEqual(Array(10).fill(undefined));
    const issued = results.map((result) => result.data!.rotateAuthClientSecret.clientSecret);
    expect(new Set(issued).size).toBe(10);

    const rows = await t.current.em().execute<Array<{ count: string }>>(
      'select count(*) from auth_client_secrets where client_id = ? and (expires_at is null or expires_at > now())', [client.id],
    );
    expect(Number(rows[0]!.count)).toBe(2);
    const secrets = await secretsOf(client.id);
    expect(secrets).toHaveLength(2);
    expect(secrets[0]!.expiresAt).toBeNull();
    expect(secrets[1]!.expiresAt).not.toBeNull();
    const working = issued.filter((secret) => secrets.some((listed) => secret.startsWith(listed.prefix)));
    expect(working).toHaveLength(2);
    const accepted = await Promise.all([client.secret, ...issued].map((secret) => tokenEndpointAccepts({ id: client.id, secret })));
    expect(accepted.filter(Boolean)).toHaveLength(2);
    expect([client.secret, ...issued].filter((_secret, index) => accepted[index])).toEqual(expect.arrayContaining(working));
  });

  it('stops a secret ended behind the service\'s back (plain SQL) on the very next request', async () => {
    const old = await createClient(t.current);
    const { clientSecret } = await rotated(old.id, 3600);
    expect(await tokenEndpointAccepts(old)).toBe(true);
    await changeInSql(t.current, "update auth_client_secrets set expires_at = now() - interval '1 second' where client_id = ? and expires_at is not null", [old.id]);
    expect(await tokenEndpointAccepts(old)).toBe(false);
    expect(await tokenEndpointAccepts({ id: old.id, secret: clientSecret })).toBe(true);
  });

  it.each([
    ['-1', -1],
    ['more than 30 days', 30 * 86_400 + 1],
  ])('refuses previousSecretExpiresIn %s with BAD_USER_INPUT on that field, changing nothing', async (_case, seconds) => {
    const client = await createClient(t.current);
    const result = await rotate(client.id, seconds);
    expect(errorOf(result)).toEqual({ code: 'BAD_USER_INPUT', field: 'previousSecretExpiresIn' });
    expect(result.errors![0]!.message).toBe('previousSecretExpiresIn is a number of seconds from 0 (the previous secret stops now) to 2592000 (30 days)');
    expect(await secretsOf(client.id)).toHaveLength(1);
    expect(await tokenEndpointAccepts(client)).toBe(true);
  });

  it('accepts exactly 30 days', async () => {
    const client = await createClient(t.current);
    const { authClient } = await rotated(client.id, 30 * 86_400);
    expect(secondsFromNow(authClient.secrets[1]!.expiresAt)).toBeGreaterThan(30 * 86_400 - 60);
  });

  it.each([
    ['an unknown id', '00000000-0000-4000-8000-000000000000'],
    ['an id that is not a UUID', 'not-a-uuid'],
  ])('answers NOT_FOUND for %s', async (_case, id) => {
    expect(errorOf(await rotate(id, 60))).toEqual({ code: 'NOT_FOUND', field: undefined });
  });
});

describe('revokeAuthClientSecret', () => {
  it('ends the previous secret at once, and refuses to end the last one', async () => {
    const old = await createClient(t.current);
    const { clientSecret, authClient } = await rotated(old.id, 3600);
    const renewed = { id: old.id, secret: clientSecret };
    const [current, previous] = authClient.secrets;
    expect(await tokenEndpointAccepts(old)).toBe(true);

    const result = await revoke(old.id, previous!.id);
    expect(result.errors).toBeUndefined();
    expect(result.data!.revokeAuthClientSecret).toEqual({ id: old.id, secretPrefix: current!.prefix, secrets: [current] });
    await expectRefusedEverywhere(old, renewed);
    await expectWorksEverywhere(renewed);

    const last = await revoke(old.id, current!.id);
    expect(errorOf(last)).toEqual({ code: 'BAD_USER_INPUT', field: 'secretId' });
    expect(last.errors![0]!.message).toMatch(/only working secret/);
    expect(await tokenEndpointAccepts(renewed)).toBe(true);
  });

  it('makes the previous secret current again (no expiry) when the current one is revoked', async () => {
    const old = await createClient(t.current);
    const { clientSecret, authClient } = await rotated(old.id, 60);
    const result = await revoke(old.id, authClient.secrets[0]!.id);
    expect(result.errors).toBeUndefined();
    expect(result.data!.revokeAuthClientSecret.secrets).toEqual([{ ...authClient.secrets[1], expiresAt: null }]);
    expect(await tokenEndpointAccepts({ id: old.id, secret: clientSecret })).toBe(false);
    expect(await tokenEndpointAccepts(old)).toBe(true);
  });

  const UNKNOWN = '00000000-0000-4000-8000-000000000000';
  interface Ids { clientId: string; previousId: string; otherClientsSecretId: string }
  it.each([
    ['an unknown client', (ids: Ids) => [UNKNOWN, ids.previousId]],
    ['a client id that is not a UUID', (ids: Ids) => ['nope', ids.previousId]],
    ['an unknown secret id', (ids: Ids) => [ids.clientId, UNKNOWN]],
    ['a secret id that is not a UUID', (ids: Ids) => [ids.clientId, 'nope']],
    ['a secret of another client', (ids: Ids) => [ids.clientId, ids.otherClientsSecretId]],
  ])('answers NOT_FOUND for %s', async (_case, pick) => {
    const client = await createClient(t.current);
    const other = await createClient(t.current);
    await rotated(client.id, 3600);
    const [otherSecret] = await secretsOf(other.id);
    const [, previous] = await secretsOf(client.id);
    const [clientId, secretId] = pick({ clientId: client.id, previousId: previous!.id, otherClientsSecretId: otherSecret!.id });
    expect(errorOf(await revoke(clientId!, secretId!))).toEqual({ code: 'NOT_FOUND', field: undefined });
    expect(await secretsOf(client.id)).toHaveLength(2);
    expect(await secretsOf(other.id)).toHaveLength(1);
  });

  it('answers NOT_FOUND for a secret already ended', async () => {
    const client = await createClient(t.current);
    const { authClient } = await rotated(client.id, 0);
    const ended = (await t.current.em().execute<Array<{ id: string }>>(
      'select id from auth_client_secrets where client_id = ? and expires_at is not null', [client.id],
    ))[0]!;
    expect(authClient.secrets.map((secret) => secret.id)).not.toContain(ended.id);
    expect(errorOf(await revoke(client.id, ended.id))).toEqual({ code: 'NOT_FOUND', field: undefined });
  });
});

describe('who may rotate and revoke secrets', () => {
  it.each([
    ['no permission', [], 'FORBIDDEN', 'own'],
    ['view-auth_clients only', [PERMISSIONS.viewAuthClients], 'FORBIDDEN', 'own'],
    ['create-auth_clients only', [PERMISSIONS.createAuthClients], 'FORBIDDEN', 'own'],
    ['delete-auth_clients only', [PERMISSIONS.deleteAuthClients], 'FORBIDDEN', 'own'],
    ['edit-auth_clients', [PERMISSIONS.editAuthClients], undefined, 'own'],
    ['edit-auth_clients through a group', [PERMISSIONS.editAuthClients], undefined, 'group'],
    ['no permission but Super Admin', [], undefined, 'superAdmin'],
  ] as const)('a user with %s', async (_case, permissions, code, via: 'own' | 'group' | 'superAdmin') => {
    const client = await createClient(t.current);
    const user = await createUser(t.current, via === 'group' ? { isSuperAdmin: false } : { permissions: [...permissions], isSuperAdmin: via === 'superAdmin' });
    if (via === 'group') await createGroup(t.current, [...permissions], [user]);
    const session = (await passwordGrant(t.current, await createClient(t.current), user)).access_token;
    const rotation = await rotate(client.id, 60, session);
    expect(rotation.errors?.[0]?.extensions?.code).toBe(code);
    const [, previous] = await secretsOf(client.id);
    const revocation = await revoke(client.id, previous?.id ?? client.id, session);
    expect(revocation.errors?.[0]?.extensions?.code).toBe(code ?? undefined);
  });

  it('needs the scope auth_clients:write on the token', async () => {
    const client = await createClient(t.current);
    const readOnly = (await passwordGrant(t.current, await createClient(t.current), admin, 'openid auth_clients:read')).access_token;
    const result = await rotate(client.id, 60, readOnly);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'auth_clients:write' });
  });

  it('refuses a caller who is not signed in', async () => {
    const client = await createClient(t.current);
    expect((await rotate(client.id, 60, '')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('lastUsedAt of each secret', () => {
  async function waitForLastUsed(id: string, index: number, differentFrom: string | null): Promise<string> {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const lastUsedAt = (await secretsOf(id))[index]?.lastUsedAt ?? null;
      if (lastUsedAt !== null && lastUsedAt !== differentFrom) return lastUsedAt;
      await new Promise((resolve) => { setTimeout(resolve, 50); });
    }
    throw new Error('lastUsedAt was not written');
  }

  it('is written on a successful authentication, for that secret only, and at most once a minute', async () => {
    const old = await createClient(t.current);
    const { clientSecret } = await rotated(old.id, 3600);
    const renewed = { id: old.id, secret: clientSecret };
    expect((await secretsOf(old.id)).map((secret) => secret.lastUsedAt)).toEqual([null, null]);

    // A failed attempt is no use.
    expect(await tokenEndpointAccepts({ id: old.id, secret: `${clientSecret}x` })).toBe(false);
    await expectWorksEverywhere(renewed);
    const firstUse = await waitForLastUsed(old.id, 0, null);
    expect(Date.now() - new Date(firstUse).getTime()).toBeLessThan(10_000);
    expect((await secretsOf(old.id))[1]!.lastUsedAt).toBeNull();

    // Within the minute: no further write, however many uses.
    await Promise.all([tokenEndpointAccepts(renewed), tokenEndpointAccepts(renewed)]);
    await new Promise((resolve) => { setTimeout(resolve, 300); });
    expect((await secretsOf(old.id))[0]!.lastUsedAt).toBe(firstUse);

    // A minute later (the comparison is handed the time), the next use writes again.
    const { authClients } = t.current.app.services;
    const stored = await authClients.providerSecret(old.id);
    expect(authClients.verifySecret(stored, clientSecret, new Date(firstUse).getTime() + 59_000)).toBe(true);
    await new Promise((resolve) => { setTimeout(resolve, 300); });
    expect((await secretsOf(old.id))[0]!.lastUsedAt).toBe(firstUse);
    expect(authClients.verifySecret(stored, clientSecret, new Date(firstUse).getTime() + 61_000)).toBe(true);
    const later = await waitForLastUsed(old.id, 0, firstUse);
    expect(new Date(later).getTime()).toBe(new Date(firstUse).getTime() + 61_000);

    // The old secret records its own use.
    expect(await tokenEndpointAccepts(old)).toBe(true);
    await waitForLastUsed(old.id, 1, null);
  });

  it('lets the comparison refuse a secret whose expiry has passed, whatever was cached', async () => {
    const old = await createClient(t.current);
    const { authClient } = await rotated(old.id, 3600);
    const { authClients } = t.current.app.services;
    const stored = await authClients.providerSecret(old.id);
    const expiresAt = new Date(authClient.secrets[1]!.expiresAt!).getTime();
    expect(authClients.verifySecret(stored, old.secret, expiresAt - 1000)).toBe(true);
    expect(authClients.verifySecret(stored, old.secret, expiresAt)).toBe(false);
  });
});

describe('npm run cli -- client:rotate-secret', () => {
  const cli = (args: string[]) => runCli(args, t.current.storage.env);

  it('prints the new secret once; the previous one keeps working for --previous-expires-in', async () => {
    const old = await createClient(t.current);
    const result = await cli(['client:rotate-secret', '--client', old.id, '--previous-expires-in', '30m', '--json']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const printed = JSON.parse(result.stdout) as { id: string; secret: string; secrets: Secret[] };
    expect(printed).toMatchObject({ id: old.id, secret: expect.stringMatching(/^acs_/) });
    expect(printed.secrets.map((secret) => secret.prefix)).toEqual([printed.secret.slice(0, 10), expect.any(String)]);
    expect(secondsFromNow(printed.secrets[1]!.expiresAt)).toBeGreaterThan(29 * 60);
    expect(secondsFromNow(printed.secrets[1]!.expiresAt)).toBeLessThanOrEqual(30 * 60);
    // The service heard it: both work on its very next request.
    expect(await tokenEndpointAccepts({ id: old.id, secret: printed.secret })).toBe(true);
    expect(await tokenEndpointAccepts(old)).toBe(true);

    const text = await cli(['client:rotate-secret', '--client', old.id, '--previous-expires-in', '0']);
    expect(text.code).toBe(0);
    const [secret] = /acs_[A-Za-z0-9_-]{43}/.exec(text.stdout) ?? [];
    expect(text.stdout).toContain('The previous secret no longer works.');
    expect(text.stdout).toContain('shown only this once');
    expect(await tokenEndpointAccepts({ id: old.id, secret: secret! })).toBe(true);
    expect(await tokenEndpointAccepts({ id: old.id, secret: printed.secret })).toBe(false);
    expect(await tokenEndpointAccepts(old)).toBe(false);
  });

  it.each([
    ['no --client', ['client:rotate-secret'], /--client is required/],
    ['a duration without a unit', ['client:rotate-secret', '--client', 'x', '--previous-expires-in', '5'], /--previous-expires-in is 0 or a number with a unit/],
    ['more than 30 days', ['client:rotate-secret', '--client', 'x', '--previous-expires-in', '31d'], /--previous-expires-in is at most 30d/],
  ])('refuses %s with exit code 2', async (_case, args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('answers an unknown client with exit code 1 and one JSON error', async () => {
    const result = await cli(['client:rotate-secret', '--client', '00000000-0000-4000-8000-000000000000', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ error: 'There is no auth client with the id "00000000-0000-4000-8000-000000000000"' });
  });
});
