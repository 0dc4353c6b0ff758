// The life of an auth client through GraphQL: edit, disable and enable, the kill switch, delete; what each does to the
// tokens it issued, at /graphql, introspection, userinfo and refresh alike; lifetimes, skipConsent and the stale list.
import { randomUUID } from 'node:crypto';
import { PERMISSIONS } from '../../src/access-control/permissions.js';
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { heard, startApp, useTestApp, type TestApp } from '../helpers/app.js';
import { FormBrowser } from '../helpers/browser.js';
import {
  changeInSql, createClient, createGroup, createUser, settled, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import {
  clientConfig, oauthError, oidc, passwordGrant,
} from '../helpers/oauth.js';
import { serverUrl } from '../helpers/storage.js';

const t = useTestApp();
/** The client the administrators of these tests sign in through; never the one under test. */
let console: TestClient;
let admin: TestUser;
let adminToken: string;

const ALL = `openid profile email offline_access ${API_SCOPE_NAMES.join(' ')}`;

beforeAll(async () => {
  console = await createClient(t.current);
  admin = await createUser(t.current, { isSuperAdmin: true });
  adminToken = (await passwordGrant(t.current, console, admin, ALL)).access_token;
});

const FIELDS = `id name enabled grants redirectUris scopes skipConsent accessTokenLifetime refreshTokenLifetime lastUsedAt
  createdBy { id username }`;
const MUTATIONS = {
  update: `mutation($input: UpdateAuthClientInput!) { updateAuthClient(input: $input) { ${FIELDS} } }`,
  disable: `mutation($id: ID!) { disableAuthClient(id: $id) { ${FIELDS} } }`,
  enable: `mutation($id: ID!) { enableAuthClient(id: $id) { ${FIELDS} } }`,
  revoke: `mutation($id: ID!) { revokeAuthClientTokens(id: $id) { revokedCount authClient { ${FIELDS} } } }`,
  delete: 'mutation($id: ID!) { deleteAuthClient(id: $id) { deletedAuthClientId } }',
} as const;
type MutationName = keyof typeof MUTATIONS;
const variablesFor = (name: MutationName, id: string) => (name === 'update' ? { input: { id, name: `renamed-${randomUUID()}` } } : { id });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = Record<string, any>;
const gql = (query: string, variables: Record<string, unknown> = {}, token = adminToken) => graphql<Data>(t.current.url, query, variables, token);
const mutate = (name: MutationName, id: string, token = adminToken) => gql(MUTATIONS[name], variablesFor(name, id), token);
const update = (input: Record<string, unknown>) => gql(MUTATIONS.update, { input });
interface Connection { totalCount: number; edges: Array<{ node: { id: string; name: string; lastUsedAt: string | null } }> }
const errorOf = (result: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => result.errors?.[0]?.extensions;

/** What /graphql says to a bearer token: OK, or the error code. */
async function outcome(token: string, app: TestApp = t.current): Promise<string> {
  const result = await graphql<{ viewer: { username: string } | null }>(app.url, '{ viewer { username } }', {}, token);
  return result.errors?.[0]?.extensions?.code as string ?? (result.data?.viewer ? 'OK' : 'NO VIEWER');
}

/** A fresh client with a user signed in through it (password grant, with a refresh token) and a personal access token. */
async function clientWithTokens(grants = [AuthClientGrant.PASSWORD, AuthClientGrant.PERSONAL_ACCESS]) {
  const client = await createClient(t.current, grants);
  const user = await createUser(t.current, { permissions: [PERMISSIONS.viewAuthClients] });
  const tokens = await passwordGrant(t.current, client, user, 'openid offline_access auth_clients:read');
  const { token: pat } = await t.current.app.services.personalAccessTokens.create(
    t.current.em(), user.user, { name: `pat-${randomUUID()}`, authClientId: client.id, scopes: ['auth_clients:read'] }, null,
  );
  return {
    client, user, tokens, pat,
  };
}

/** What every endpoint says: /graphql for the access token and the PAT, introspection (by another client), userinfo, refresh. */
async function answers({ client, tokens, pat }: Awaited<ReturnType<typeof clientWithTokens>>) {
  const other = await clientConfig(t.current, console);
  const userinfo = await fetch(`${t.current.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  const refresh = await oidc.refreshTokenGrant(await clientConfig(t.current, client), tokens.refresh_token!)
    .then(() => 'OK', (error: unknown) => (error as { error?: string }).error ?? String(error));
  return {
    graphql: await outcome(tokens.access_token),
    personalAccessToken: await outcome(pat),
    introspectedPersonalAccessToken: (await oidc.tokenIntrospection(other, pat)).active,
    userinfo: userinfo.status,
    refresh,
  };
}
const WORKING = {
  graphql: 'OK', personalAccessToken: 'OK', introspectedPersonalAccessToken: true, userinfo: 200, refresh: 'OK',
};

describe('updateAuthClient', () => {
  it('changes what it is given, keeps the rest, and says who created the client', async () => {
    const created = await gql('mutation($input: CreateAuthClientInput!) { createAuthClient(input: $input) { authClient { id } } }', {
      input: { name: `Editable ${randomUUID()}`, grants: ['PASSWORD'], scopes: ['auth_clients:read'], accessTokenLifetime: 600 },
    });
    const { id } = created.data!.createAuthClient.authClient;
    const result = await update({
      id, name: '  Edited App  ', grants: ['PASSWORD', 'AUTHORIZATION_CODE'], redirectUris: ['https://edited.example.com/cb'], skipConsent: true, refreshTokenLifetime: 7200,
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.updateAuthClient).toEqual({
      id,
      name: 'Edited App',
      enabled: true,
      grants: ['PASSWORD', 'AUTHORIZATION_CODE'],
      redirectUris: ['https://edited.example.com/cb'],
      scopes: ['openid', 'profile', 'email', 'offline_access', 'auth_clients:read'],
      skipConsent: true,
      accessTokenLifetime: 600,
      refreshTokenLifetime: 7200,
      lastUsedAt: null,
      createdBy: { id: admin.user.id, username: admin.username },
    });
    // Renaming to its own name in another case is no conflict; removing the code grant takes its redirect URLs along.
    const again = await update({ id, name: 'EDITED APP', grants: ['PASSWORD'] });
    expect(again.data!.updateAuthClient).toMatchObject({ name: 'EDITED APP', redirectUris: [], grants: ['PASSWORD'] });
  });

  it('has no creator for a client made by the CLI or the services', async () => {
    const client = await createClient(t.current);
    const result = await gql(`query($id: ID!) { authClient(id: $id) { createdBy { id } enabled skipConsent accessTokenLifetime refreshTokenLifetime } }`, { id: client.id });
    expect(result.data!.authClient).toEqual({
      createdBy: null, enabled: true, skipConsent: false, accessTokenLifetime: 3600, refreshTokenLifetime: 2592000,
    });
  });

  it('names the creator of each client in a list, and none once that user is gone', async () => {
    const tag = randomUUID();
    const creator = await createUser(t.current, { permissions: [PERMISSIONS.createAuthClients, PERMISSIONS.viewAuthClients] });
    const creatorToken = (await passwordGrant(t.current, console, creator, ALL)).access_token;
    const create = (name: string, token: string) => gql('mutation($input: CreateAuthClientInput!) { createAuthClient(input: $input) { clientSecret } }', {
      input: { name: `${name} ${tag}`, grants: ['PASSWORD'] },
    }, token);
    await create('a', adminToken);
    await create('b', creatorToken);
    await create('c', creatorToken);
    const creators = async () => ((await gql('query($search: String) { authClients(search: $search) { edges { node { name createdBy { username effectivePermissions } } } } }', { search: tag }))
      .data!.authClients.edges as Array<{ node: { name: string; createdBy: { username: string; effectivePermissions: string[] } | null } }>)
      .map(({ node }) => [node.name.split(' ')[0], node.createdBy?.username ?? null, node.createdBy?.effectivePermissions.length ?? 0]);
    expect(await creators()).toEqual([
      ['a', admin.username, expect.any(Number)], ['b', creator.username, 2], ['c', creator.username, 2],
    ]);
    await changeInSql(t.current, 'delete from users where id = ?', [creator.user.id]);
    expect(await creators()).toEqual([['a', admin.username, expect.any(Number)], ['b', null, 0], ['c', null, 0]]);
  });

  const taken = `Taken ${randomUUID()}`;
  it.each([
    ['a blank name', { name: '   ' }, 'name'],
    ['a name another client has, in another case', { name: taken.toUpperCase() }, 'name'],
    ['no grants', { grants: [] }, 'grants'],
    ['the code grant without a redirect URL', { grants: ['AUTHORIZATION_CODE'] }, 'redirectUris'],
    ['a redirect URL without the code grant', { redirectUris: ['https://app.example.com/cb'] }, 'redirectUris'],
    ['an unknown scope', { scopes: ['everything'] }, 'scopes'],
    ['an access token lifetime under 60 s', { accessTokenLifetime: 59 }, 'accessTokenLifetime'],
    ['an access token lifetime over 24 h', { accessTokenLifetime: 86401 }, 'accessTokenLifetime'],
    ['a refresh token lifetime under 1 h', { refreshTokenLifetime: 3599 }, 'refreshTokenLifetime'],
    ['a refresh token lifetime over 365 days', { refreshTokenLifetime: 31536001 }, 'refreshTokenLifetime'],
  ])('refuses %s with BAD_USER_INPUT on the field, changing nothing', async (_case, changes, field) => {
    await createClient(t.current).then(({ id }) => t.current.app.services.authClients.update(id, { name: taken })).catch(() => {});
    const client = await createClient(t.current);
    const before = (await t.current.app.services.authClients.findById(client.id))!;
    const result = await update({ id: client.id, ...changes });
    expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await t.current.app.services.authClients.findById(client.id)).toEqual(before);
  });

  it.each([
    ['accessTokenLifetime', 30],
    ['refreshTokenLifetime', 60],
  ])('refuses %s out of range on create too', async (field, value) => {
    const result = await gql('mutation($input: CreateAuthClientInput!) { createAuthClient(input: $input) { clientSecret } }', {
      input: { name: `Bad ${randomUUID()}`, grants: ['PASSWORD'], [field]: value },
    });
    expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe.each(Object.keys(MUTATIONS) as MutationName[])('%s', (name) => {
  it.each([
    ['an unknown id', randomUUID()],
    ['an id that is not a UUID', 'not-a-uuid'],
  ])('answers NOT_FOUND for %s', async (_case, id) => {
    const result = await mutate(name, id);
    expect(result.status).toBe(200);
    expect(errorOf(result)).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('permissions', () => {
  const holders: Record<string, () => Promise<string>> = {
    'no permission': async () => (await passwordGrant(t.current, console, await createUser(t.current), ALL)).access_token,
    'edit- only': async () => (await passwordGrant(t.current, console, await createUser(t.current, { permissions: [PERMISSIONS.editAuthClients] }), ALL)).access_token,
    'delete- only': async () => (await passwordGrant(t.current, console, await createUser(t.current, { permissions: [PERMISSIONS.deleteAuthClients] }), ALL)).access_token,
    'edit- and delete- through a group': async () => {
      const member = await createUser(t.current);
      await createGroup(t.current, [PERMISSIONS.editAuthClients, PERMISSIONS.deleteAuthClients], [member]);
      return (await passwordGrant(t.current, console, member, ALL)).access_token;
    },
    'Super Admin': () => Promise.resolve(adminToken),
    'Super Admin, token without auth_clients:write': async () => (await passwordGrant(t.current, console, admin, 'openid auth_clients:read')).access_token,
  };
  const allowed: Record<string, MutationName[]> = {
    'no permission': [],
    'edit- only': ['update', 'disable', 'enable', 'revoke'],
    'delete- only': ['delete'],
    'edit- and delete- through a group': ['update', 'disable', 'enable', 'revoke', 'delete'],
    'Super Admin': ['update', 'disable', 'enable', 'revoke', 'delete'],
    'Super Admin, token without auth_clients:write': [],
  };
  it.each(Object.keys(holders))('%s', async (holder) => {
    const token = await holders[holder]!();
    const seen: Record<string, string> = {};
    for (const name of Object.keys(MUTATIONS) as MutationName[]) {
      const { id } = await createClient(t.current);
      const result = await mutate(name, id, token);
      seen[name] = (errorOf(result)?.code as string | undefined) ?? 'OK';
    }
    const expected = Object.fromEntries((Object.keys(MUTATIONS) as MutationName[]).map((name) => [name, allowed[holder]!.includes(name) ? 'OK' : 'FORBIDDEN']));
    expect(seen).toEqual(expected);
  });
});

describe('disable and enable', () => {
  it('refuses everything the client holds while disabled, and brings back what has not expired once enabled', async () => {
    const held = await clientWithTokens();
    const config = await clientConfig(t.current, held.client);
    expect(await outcome(held.tokens.access_token)).toBe('OK');

    const disabled = await mutate('disable', held.client.id);
    expect(disabled.data!.disableAuthClient.enabled).toBe(false);
    // No new tokens, no sign-in.
    expect(await oauthError(passwordGrant(t.current, held.client, held.user))).toMatchObject({ error: 'invalid_client', status: 401 });
    const auth = await fetch(oidc.buildAuthorizationUrl(config, { redirect_uri: 'https://app.example.com/cb', scope: 'openid' }).href, { redirect: 'manual' });
    expect(auth.status).toBe(400);
    expect(await auth.text()).toMatch(/invalid_client/);
    // Introspection by the client itself: it cannot authenticate.
    expect(await oauthError(oidc.tokenIntrospection(config, held.tokens.access_token))).toMatchObject({ error: 'invalid_client' });
    expect({
      graphql: await outcome(held.tokens.access_token),
      personalAccessToken: await outcome(held.pat),
      introspectedPersonalAccessToken: (await oidc.tokenIntrospection(await clientConfig(t.current, console), held.pat)).active,
      userinfo: (await fetch(`${t.current.issuer}/me`, { headers: { authorization: `Bearer ${held.tokens.access_token}` } })).status,
    }).toEqual({
      graphql: 'UNAUTHENTICATED', personalAccessToken: 'UNAUTHENTICATED', introspectedPersonalAccessToken: false, userinfo: 401,
    });
    const disabledList = async () => (await gql('{ authClients(enabled: false, first: 100) { totalCount edges { node { id } } } }')).data!.authClients as Connection;
    const whileDisabled = await disabledList();
    expect(whileDisabled.edges.map((edge) => edge.node.id)).toContain(held.client.id);
    expect(whileDisabled.totalCount).toBe(whileDisabled.edges.length);

    expect((await mutate('enable', held.client.id)).data!.enableAuthClient.enabled).toBe(true);
    // The counted list follows at once (the count cache forgets on any change of a client).
    const afterEnable = await disabledList();
    expect(afterEnable.edges.map((edge) => edge.node.id)).not.toContain(held.client.id);
    expect(afterEnable.totalCount).toBe(whileDisabled.totalCount - 1);
    expect((await oidc.tokenIntrospection(config, held.tokens.access_token)).active).toBe(true);
    expect(await answers(held)).toEqual(WORKING);
  });

  (serverUrl ? it : it.skip)('is applied by every instance on one database at once', async () => {
    const other = await startApp(t.current.storage);
    try {
      const held = await clientWithTokens();
      expect(await outcome(held.tokens.access_token, other)).toBe('OK');
      expect(await outcome(held.pat, other)).toBe('OK');
      const otherHeard = heard(other, 'auth_clients');
      await mutate('disable', held.client.id);
      await otherHeard;
      expect(await outcome(held.tokens.access_token, other)).toBe('UNAUTHENTICATED');
      expect(await outcome(held.pat, other)).toBe('UNAUTHENTICATED');
      expect(await oauthError(passwordGrant(other, held.client, held.user))).toMatchObject({ error: 'invalid_client' });
      const enabledHeard = heard(t.current, 'auth_clients');
      await graphql(other.url, MUTATIONS.enable, { id: held.client.id }, adminToken);
      await enabledHeard;
      expect(await outcome(held.tokens.access_token)).toBe('OK');
    } finally {
      await other.stop();
    }
  });
});

const rowsOf = async (clientId: string) => (
  await t.current.em().execute<Array<{ model: string; rows: number }>>(
    'select model, count(*)::int as rows from oidc_payloads where client_id = ? group by model order by model', [clientId],
  )
).reduce<Record<string, number>>((all, { model, rows }) => ({ ...all, [model]: rows }), {});

describe('revokeAuthClientTokens', () => {
  it('revokes every token, refresh token and personal access token, says how many, and leaves the client usable', async () => {
    const held = await clientWithTokens();
    await passwordGrant(t.current, held.client, held.user, 'openid offline_access');
    // Two sign-ins (an access and a refresh token each) and one personal access token.
    const result = await mutate('revoke', held.client.id);
    expect(result.errors).toBeUndefined();
    expect(result.data!.revokeAuthClientTokens).toMatchObject({ revokedCount: 5, authClient: { id: held.client.id, enabled: true } });
    expect(await answers(held)).toEqual({
      graphql: 'UNAUTHENTICATED', personalAccessToken: 'UNAUTHENTICATED', introspectedPersonalAccessToken: false, userinfo: 401, refresh: 'invalid_grant',
    });
    expect(await rowsOf(held.client.id)).toEqual({});
    const [pat] = await t.current.em().execute('select revoked_at from personal_access_tokens where client_id = ?', [held.client.id]);
    expect(pat!.revoked_at).not.toBeNull();
    // The client itself still works, with the same secret; nothing is left to revoke.
    const fresh = await passwordGrant(t.current, held.client, held.user, 'openid');
    expect(await outcome(fresh.access_token)).toBe('OK');
    await mutate('revoke', held.client.id);
    expect((await mutate('revoke', held.client.id)).data!.revokeAuthClientTokens.revokedCount).toBe(0);
  });

  it('also finds rows stored before oidc_payloads recorded their client', async () => {
    const held = await clientWithTokens();
    const other = await clientWithTokens();
    await changeInSql(t.current, 'update oidc_payloads set client_id = null where client_id in (?, ?)', [held.client.id, other.client.id]);
    expect((await mutate('revoke', held.client.id)).data!.revokeAuthClientTokens.revokedCount).toBe(3);
    expect(await outcome(held.tokens.access_token)).toBe('UNAUTHENTICATED');
    expect(await outcome(held.pat)).toBe('UNAUTHENTICATED');
    // Another client's rows, also without their client recorded, are left alone.
    expect(await answers(other)).toEqual(WORKING);
  });
});

describe('deleteAuthClient', () => {
  it('removes the client and everything it issued, for good, and frees its name', async () => {
    const held = await clientWithTokens();
    const { name } = (await t.current.app.services.authClients.findById(held.client.id))!;
    const result = await mutate('delete', held.client.id);
    expect(result.data).toEqual({ deleteAuthClient: { deletedAuthClientId: held.client.id } });
    expect(await outcome(held.tokens.access_token)).toBe('UNAUTHENTICATED');
    expect(await outcome(held.pat)).toBe('UNAUTHENTICATED');
    expect((await oidc.tokenIntrospection(await clientConfig(t.current, console), held.pat)).active).toBe(false);
    expect((await fetch(`${t.current.issuer}/me`, { headers: { authorization: `Bearer ${held.tokens.access_token}` } })).status).toBe(401);
    expect(await oauthError(oidc.refreshTokenGrant(await clientConfig(t.current, held.client), held.tokens.refresh_token!))).toMatchObject({ error: 'invalid_client' });
    expect(await rowsOf(held.client.id)).toEqual({});
    expect(await t.current.em().execute('select 1 from personal_access_tokens where client_id = ?', [held.client.id])).toEqual([]);
    expect((await gql('query($id: ID!) { authClient(id: $id) { id } }', { id: held.client.id })).data).toEqual({ authClient: null });
    expect(errorOf(await mutate('delete', held.client.id))).toMatchObject({ code: 'NOT_FOUND' });

    const again = await gql('mutation($input: CreateAuthClientInput!) { createAuthClient(input: $input) { authClient { name } } }', {
      input: { name: name.toUpperCase(), grants: ['PASSWORD'] },
    });
    expect(again.data!.createAuthClient.authClient.name).toBe(name.toUpperCase());
  });
});

describe('removing a grant or a scope', () => {
  it('ends the tokens issued through a removed grant and keeps the others', async () => {
    const held = await clientWithTokens();
    const result = await update({ id: held.client.id, grants: ['PERSONAL_ACCESS'] });
    expect(result.errors).toBeUndefined();
    expect(await outcome(held.tokens.access_token)).toBe('UNAUTHENTICATED');
    expect(await outcome(held.pat)).toBe('OK');
    // Only the personal access token is left of what the client held.
    expect(await rowsOf(held.client.id)).toEqual({ AccessToken: 1 });
  });

  it('ends personal access tokens when PERSONAL_ACCESS is removed', async () => {
    const held = await clientWithTokens();
    await update({ id: held.client.id, grants: ['PASSWORD'] });
    expect(await outcome(held.pat)).toBe('UNAUTHENTICATED');
    expect(await outcome(held.tokens.access_token)).toBe('OK');
    // Adding the grant back does not revive it: it was revoked.
    await update({ id: held.client.id, grants: ['PASSWORD', 'PERSONAL_ACCESS'] });
    expect(await outcome(held.pat)).toBe('UNAUTHENTICATED');
  });

  it('refuses a token whose grant was taken from the client behind the back of the service, its row still there', async () => {
    const held = await clientWithTokens();
    await changeInSql(t.current, "update auth_clients set grants = '{personal_access}' where id = ?", [held.client.id]);
    expect(await outcome(held.tokens.access_token)).toBe('UNAUTHENTICATED');
    expect(await outcome(held.pat)).toBe('OK');
    await changeInSql(t.current, "update auth_clients set scopes = '{}' where id = ?", [held.client.id]);
    expect(await outcome(held.pat)).toBe('UNAUTHENTICATED');
  });

  it('ends the tokens carrying a removed scope and keeps those without it', async () => {
    const held = await clientWithTokens();
    const plain = await passwordGrant(t.current, held.client, held.user, 'openid');
    await update({ id: held.client.id, scopes: ['auth_clients:write'] });
    expect(await outcome(held.tokens.access_token)).toBe('UNAUTHENTICATED');
    expect(await outcome(held.pat)).toBe('UNAUTHENTICATED');
    expect(await outcome(plain.access_token)).toBe('OK');
    expect(await oauthError(oidc.refreshTokenGrant(await clientConfig(t.current, held.client), held.tokens.refresh_token!))).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('lifetimes', () => {
  it('apply to tokens issued after the change, in expires_in and introspection exp; personal access tokens keep their own', async () => {
    const client = await createClient(t.current, [AuthClientGrant.PASSWORD, AuthClientGrant.PERSONAL_ACCESS]);
    const user = await createUser(t.current);
    const before = await passwordGrant(t.current, client, user, 'openid offline_access');
    expect(before.expires_in).toBe(3600);
    await update({ id: client.id, accessTokenLifetime: 120, refreshTokenLifetime: 7200 });
    const after = await passwordGrant(t.current, client, user, 'openid offline_access');
    expect(after.expires_in).toBe(120);
    const config = await clientConfig(t.current, client);
    const now = Date.now() / 1000;
    const access = await oidc.tokenIntrospection(config, after.access_token);
    const refresh = await oidc.tokenIntrospection(config, after.refresh_token!);
    expect(access.exp! - now).toBeGreaterThan(110);
    expect(access.exp! - now).toBeLessThanOrEqual(121);
    expect(refresh.exp! - now).toBeGreaterThan(7190);
    expect(refresh.exp! - now).toBeLessThanOrEqual(7201);
    // The earlier token keeps the lifetime it was issued with.
    expect((await oidc.tokenIntrospection(config, before.access_token)).exp! - now).toBeGreaterThan(3500);
    // A refreshed access token follows the client's lifetime too.
    expect((await oidc.refreshTokenGrant(config, after.refresh_token!)).expires_in).toBe(120);
    const expiresAt = new Date(Date.now() + 10 * 86400_000);
    const { personalAccessToken, token } = await t.current.app.services.personalAccessTokens.create(
      t.current.em(), user.user, { name: 'long', authClientId: client.id, scopes: [], expiresAt }, null,
    );
    expect(Math.abs(personalAccessToken.expiresAt.getTime() - expiresAt.getTime())).toBeLessThan(2000);
    expect((await oidc.tokenIntrospection(config, token)).exp! - now).toBeGreaterThan(9 * 86400);
  });
});

describe('lastUsedAt and the unusedSince filter', () => {
  it('records the last token issued or introspection, to the minute, and lists clients unused since a time', async () => {
    const tag = randomUUID();
    const used = await createClient(t.current);
    const unused = await createClient(t.current);
    const introspecting = await createClient(t.current);
    await t.current.app.services.authClients.update(used.id, { name: `used ${tag}` });
    await t.current.app.services.authClients.update(unused.id, { name: `unused ${tag}` });
    await t.current.app.services.authClients.update(introspecting.id, { name: `introspecting ${tag}` });
    await settled(t.current);
    const user = await createUser(t.current);
    const started = Date.now();
    await passwordGrant(t.current, used, user, 'openid');
    await oidc.tokenIntrospection(await clientConfig(t.current, introspecting), 'no-such-token');
    const stale = async (since: Date) => (await gql(
      'query($search: String, $since: DateTimeISO) { authClients(search: $search, unusedSince: $since, first: 10) { totalCount edges { node { name lastUsedAt } } } }',
      { search: tag, since: since.toISOString() },
    )).data!.authClients as Connection;
    const all = await stale(new Date(Date.now() + 60_000));
    expect(all.totalCount).toBe(3);
    const lastUsed: Record<string, string | null> = Object.fromEntries(all.edges.map((edge) => [edge.node.name.split(' ')[0]!, edge.node.lastUsedAt]));
    expect(lastUsed.unused).toBeNull();
    for (const name of ['used', 'introspecting']) {
      expect(new Date(lastUsed[name]!).getTime()).toBeGreaterThanOrEqual(started - 1000);
    }
    const onlyUnused = await stale(new Date(started - 1000));
    expect(onlyUnused).toEqual({ totalCount: 1, edges: [{ node: { name: `unused ${tag}`, lastUsedAt: null } }] });

    // Written at most once a minute: a second token a moment later leaves it.
    const lastUsedAt = async () => (await t.current.em().execute('select last_used_at from auth_clients where id = ?', [used.id]))[0]!.last_used_at as unknown;
    const first = await lastUsedAt();
    await passwordGrant(t.current, used, user, 'openid');
    expect(await lastUsedAt()).toEqual(first);
  });
});

it('announces a change of a client to the caches, but not the recording of its use', async () => {
  const client = await createClient(t.current);
  await settled(t.current);
  const announced: string[] = [];
  t.current.app.changes.on('auth_clients', (id) => announced.push(id));
  await changeInSql(t.current, 'update auth_clients set last_used_at = now() where id = ?', [client.id]);
  expect(announced).toEqual([]);
  await changeInSql(t.current, 'update auth_clients set enabled = false, last_used_at = now() where id = ?', [client.id]);
  expect(announced).toEqual([client.id]);
});

describe('skipConsent', () => {
  const REDIRECT = 'https://first-party.example.com/cb';
  async function signInThrough(client: TestClient) {
    const config = await clientConfig(t.current, client);
    const browser = new FormBrowser([REDIRECT]);
    const verifier = oidc.randomPKCECodeVerifier();
    const page = await browser.open(oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st',
    }).href);
    const user = await createUser(t.current);
    const next = await browser.submit(page, /\/login$/, { login: user.username, password: user.password });
    return { next, config, verifier };
  }

  it('sends the users of a trusted first-party client straight back with a code, and asks consent for others', async () => {
    const client = await createClient(t.current, [AuthClientGrant.AUTHORIZATION_CODE], [REDIRECT]);
    expect((await signInThrough(client)).next.html).toMatch(/\/consent"/);
    await update({ id: client.id, skipConsent: true });
    const { next, config, verifier } = await signInThrough(client);
    expect(next.url.startsWith(`${REDIRECT}?`)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(next.url), { pkceCodeVerifier: verifier, expectedState: 'st' });
    expect(tokens.scope).toBe('openid profile');
    expect(await outcome(tokens.access_token)).toBe('OK');
  });

  it('ends code-flow tokens when AUTHORIZATION_CODE is removed, and keeps password-grant ones', async () => {
    const client = await createClient(t.current, [AuthClientGrant.AUTHORIZATION_CODE, AuthClientGrant.PASSWORD], [REDIRECT]);
    await update({ id: client.id, skipConsent: true });
    const { next, config, verifier } = await signInThrough(client);
    const codeFlow = await oidc.authorizationCodeGrant(config, new URL(next.url), { pkceCodeVerifier: verifier, expectedState: 'st' });
    const password = await passwordGrant(t.current, client, await createUser(t.current), 'openid');
    expect(await outcome(codeFlow.access_token)).toBe('OK');
    const result = await update({ id: client.id, grants: ['PASSWORD'] });
    expect(result.data!.updateAuthClient).toMatchObject({ grants: ['PASSWORD'], redirectUris: [] });
    expect(await outcome(codeFlow.access_token)).toBe('UNAUTHENTICATED');
    expect(await outcome(password.access_token)).toBe('OK');
    expect(await rowsOf(client.id)).toEqual({ AccessToken: 1, Grant: 1 });
  });
});
