// Personal access tokens from the user's side: create, list, use and revoke through GraphQL, check them at the
// introspection endpoint like a resource server, and see them stop working for every reason they should.
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import {
  createClient, createUser, setActive, settled, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { clientConfig, oidc, passwordGrant } from '../helpers/oauth.js';
import { runCli } from '../helpers/process.js';

const CREATE = `mutation Create($input: CreatePersonalAccessTokenInput!) {
  createPersonalAccessToken(input: $input) {
    token
    personalAccessToken { id name client { id name } scopes tokenPrefix createdAt expiresAt lastUsedAt }
  }
}`;
const LIST = `query List($first: Int, $after: String) {
  personalAccessTokens(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name tokenPrefix lastUsedAt client { id } } }
  }
}`;
const REVOKE = 'mutation Revoke($id: ID!) { revokePersonalAccessToken(id: $id) { id name } }';
const VIEWER = '{ viewer { username } }';

interface Created { createPersonalAccessToken: { token: string; personalAccessToken: { id: string; name: string; tokenPrefix: string; expiresAt: string; lastUsedAt: string | null; scopes: string[]; client: { id: string } } } }
interface Listed { personalAccessTokens: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: { id: string; name: string; lastUsedAt: string | null } }> } }

const t = useTestApp();
let patClient: TestClient;
let passwordClient: TestClient;

beforeAll(async () => {
  patClient = await createClient(t.current, [AuthClientGrant.PERSONAL_ACCESS]);
  passwordClient = await createClient(t.current, [AuthClientGrant.PASSWORD]);
});

/** A new user, signed in through the password grant: their session token manages their personal tokens. */
async function member(): Promise<TestUser & { session: string }> {
  const user = await createUser(t.current);
  return { ...user, session: (await passwordGrant(t.current, passwordClient, user)).access_token };
}

async function create(session: string, input: Record<string, unknown>) {
  return graphql<Created>(t.current.url, CREATE, { input: { authClientId: patClient.id, ...input } }, session);
}

async function newToken(session: string, name = `token ${Math.random()}`) {
  const result = await create(session, { name, scopes: ['openid', 'profile'] });
  expect(result.errors).toBeUndefined();
  return result.data!.createPersonalAccessToken;
}

const works = async (token: string) => (await graphql(t.current.url, VIEWER, {}, token)).status === 200;

describe('the life of a personal access token', () => {
  it('is created once, listed without its value, used as a bearer token, and stops at once when revoked', async () => {
    const alice = await member();
    const created = await newToken(alice.session, 'CI deploys');
    expect(created.token).toMatch(/^acp_[A-Za-z0-9_-]{43}$/);
    expect(created.personalAccessToken).toMatchObject({
      name: 'CI deploys', scopes: ['openid', 'profile'], client: { id: patClient.id }, lastUsedAt: null,
    });
    expect(created.token.startsWith(created.personalAccessToken.tokenPrefix)).toBe(true);
    // Without an expiry the token lives the configured maximum: a year.
    const lifetimeDays = (new Date(created.personalAccessToken.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(lifetimeDays).toBeGreaterThan(364.9);
    expect(lifetimeDays).toBeLessThanOrEqual(365);

    const viewer = await graphql<{ viewer: { username: string } }>(t.current.url, VIEWER, {}, created.token);
    expect(viewer.data?.viewer.username).toBe(alice.username);

    const list = await graphql<Listed>(t.current.url, LIST, {}, alice.session);
    expect(list.data?.personalAccessTokens.edges.map((edge) => edge.node.name)).toEqual(['CI deploys']);
    expect(JSON.stringify(list)).not.toContain(created.token);

    const revoked = await graphql(t.current.url, REVOKE, { id: created.personalAccessToken.id }, alice.session);
    expect(revoked.errors).toBeUndefined();
    expect(await works(created.token)).toBe(false);
    expect((await graphql<Listed>(t.current.url, LIST, {}, alice.session)).data?.personalAccessTokens.totalCount).toBe(0);
  });

  it('pages through the list, newest first', async () => {
    const bob = await member();
    for (const name of ['one', 'two', 'three']) await newToken(bob.session, name);
    const first = (await graphql<Listed>(t.current.url, LIST, { first: 2 }, bob.session)).data!.personalAccessTokens;
    expect(first.edges.map((edge) => edge.node.name)).toEqual(['three', 'two']);
    expect(first.totalCount).toBe(3);
    const second = (await graphql<Listed>(t.current.url, LIST, { first: 2, after: first.pageInfo.endCursor }, bob.session)).data!.personalAccessTokens;
    expect(second.edges.map((edge) => edge.node.name)).toEqual(['one']);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('needs a signed-in user for every operation', async () => {
    for (const [query, variables] of [[LIST, {}], [CREATE, { input: { name: 'x', authClientId: patClient.id } }], [REVOKE, { id: '00000000-0000-0000-0000-000000000000' }]] as const) {
      expect((await graphql(t.current.url, query, variables)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('is also made by the CLI, for scripts', async () => {
    const carol = await member();
    const result = await runCli(['token:create', '--username', carol.username, '--client', patClient.id, '--name', 'nightly', '--expires-in', '30d', '--json'], t.current.storage.env);
    expect(result.code).toBe(0);
    const { id, token } = JSON.parse(result.stdout) as { id: string; token: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await works(token)).toBe(true);
    const list = (await graphql<Listed>(t.current.url, LIST, {}, carol.session)).data!.personalAccessTokens;
    expect(list.edges.map((edge) => edge.node.id)).toEqual([id]);
  });
});

describe('creating one refuses, with BAD_USER_INPUT on the field', () => {
  let dave: Awaited<ReturnType<typeof member>>;
  beforeAll(async () => {
    dave = await member();
    await newToken(dave.session, 'Taken Name');
  });

  it.each([
    ['a client without the PERSONAL_ACCESS grant', () => ({ name: 'a', authClientId: passwordClient.id }), 'authClientId'],
    ['an unknown client', () => ({ name: 'b', authClientId: '00000000-0000-0000-0000-000000000000' }), 'authClientId'],
    ['a client id that is not a UUID', () => ({ name: 'c', authClientId: 'nope' }), 'authClientId'],
    ['an empty name', () => ({ name: '  ' }), 'name'],
    ['a name of 101 characters', () => ({ name: 'n'.repeat(101) }), 'name'],
    ['a duplicate name, in another case', () => ({ name: 'taken name' }), 'name'],
    ['an unknown scope', () => ({ name: 'd', scopes: ['admin'] }), 'scopes'],
    ['offline_access, which means nothing here', () => ({ name: 'e', scopes: ['offline_access'] }), 'scopes'],
    ['an expiry in the past', () => ({ name: 'f', expiresAt: new Date(Date.now() - 60_000).toISOString() }), 'expiresAt'],
    ['an expiry beyond the maximum', () => ({ name: 'g', expiresAt: new Date(Date.now() + 366 * 86_400_000).toISOString() }), 'expiresAt'],
  ])('%s', async (_case, input, field) => {
    const before = (await graphql<Listed>(t.current.url, LIST, {}, dave.session)).data!.personalAccessTokens.totalCount;
    const result = await create(dave.session, input());
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect((await graphql<Listed>(t.current.url, LIST, {}, dave.session)).data!.personalAccessTokens.totalCount).toBe(before);
  });

  it('frees the name of a revoked token for reuse', async () => {
    const erin = await member();
    const first = await newToken(erin.session, 'reused');
    await graphql(t.current.url, REVOKE, { id: first.personalAccessToken.id }, erin.session);
    expect((await create(erin.session, { name: 'reused' })).errors).toBeUndefined();
  });
});

describe('a token stops working on the very next request', () => {
  it('after it expires', async () => {
    const user = await member();
    const created = await newToken(user.session);
    expect(await works(created.token)).toBe(true);
    await t.current.em().execute('update personal_access_tokens set expires_at = now() - interval \'1 second\' where id = ?', [created.personalAccessToken.id]);
    await settled(t.current);
    expect(await works(created.token)).toBe(false);
  });

  it('after its user is deactivated', async () => {
    const user = await member();
    const created = await newToken(user.session);
    await setActive(t.current, user.user, false);
    expect(await works(created.token)).toBe(false);
  });

  it('after its client loses the PERSONAL_ACCESS grant, and after the client is deleted', async () => {
    const ownClient = await createClient(t.current, [AuthClientGrant.PERSONAL_ACCESS, AuthClientGrant.PASSWORD]);
    const user = await member();
    const first = (await create(user.session, { name: 'one', authClientId: ownClient.id })).data!.createPersonalAccessToken;
    const second = (await create(user.session, { name: 'two', authClientId: ownClient.id })).data!.createPersonalAccessToken;
    expect(await works(first.token)).toBe(true);
    await t.current.em().execute("update auth_clients set grants = '{password}' where id = ?", [ownClient.id]);
    await settled(t.current);
    expect(await works(first.token)).toBe(false);
    await t.current.em().execute("update auth_clients set grants = '{password,personal_access}' where id = ?", [ownClient.id]);
    await settled(t.current);
    expect(await works(second.token)).toBe(true);
    await t.current.em().execute('delete from auth_clients where id = ?', [ownClient.id]);
    await settled(t.current);
    expect(await works(second.token)).toBe(false);
  });

  it('after it is revoked, and another user cannot revoke it: NOT_FOUND, not FORBIDDEN', async () => {
    const owner = await member();
    const stranger = await member();
    const created = await newToken(owner.session);
    const attempt = await graphql(t.current.url, REVOKE, { id: created.personalAccessToken.id }, stranger.session);
    expect(attempt.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
    expect((await graphql<Listed>(t.current.url, LIST, {}, stranger.session)).data?.personalAccessTokens.totalCount).toBe(0);
    expect(await works(created.token)).toBe(true);
  });
});

describe('lastUsedAt', () => {
  it('is written on use, at most once a minute', async () => {
    const user = await member();
    const created = await newToken(user.session);
    const lastUsed = async () => {
      const [row] = await t.current.em().execute<Array<{ last_used_at: string | null }>>(
        'select last_used_at::text from personal_access_tokens where id = ?', [created.personalAccessToken.id],
      );
      return row?.last_used_at ? new Date(row.last_used_at).getTime() : null;
    };
    expect(await lastUsed()).toBeNull();

    await works(created.token);
    const first = await lastUsed();
    expect(first).toBeGreaterThan(Date.now() - 60_000);
    await works(created.token);
    await works(created.token);
    expect(await lastUsed()).toEqual(first);

    await t.current.em().execute('update personal_access_tokens set last_used_at = now() - interval \'61 seconds\' where id = ?', [created.personalAccessToken.id]);
    await settled(t.current);
    const stale = await lastUsed();
    await works(created.token);
    expect(await lastUsed()).toBeGreaterThan(stale!);
    const listed = (await graphql<Listed>(t.current.url, LIST, {}, user.session)).data!.personalAccessTokens.edges[0]!.node;
    expect(listed.lastUsedAt).toEqual(expect.any(String));
  });
});

describe('introspection, as a resource server checks a token', () => {
  it('answers active with the token\'s user, client and scopes, and inactive once revoked or the user deactivated', async () => {
    const user = await member();
    const created = await newToken(user.session);
    // The resource server is any registered client; here, the password client.
    const resourceServer = await clientConfig(t.current, passwordClient);
    expect(await oidc.tokenIntrospection(resourceServer, created.token)).toMatchObject({
      active: true, sub: user.user.id, client_id: patClient.id, scope: 'openid profile', token_type: 'Bearer',
    });
    await graphql(t.current.url, REVOKE, { id: created.personalAccessToken.id }, user.session);
    expect(await oidc.tokenIntrospection(resourceServer, created.token)).toEqual({ active: false });

    const other = await newToken(user.session);
    await setActive(t.current, user.user, false);
    expect(await oidc.tokenIntrospection(resourceServer, other.token)).toEqual({ active: false });
  });
});

describe('storage', () => {
  it('holds no usable token: not the value, not its random part, and the stored hash is no token', async () => {
    const user = await member();
    const created = await newToken(user.session);
    const em = t.current.em();
    const tables = await em.execute<Array<{ tablename: string }>>("select tablename from pg_tables where schemaname = 'public'");
    const dump = JSON.stringify(await Promise.all(tables.map(({ tablename }) => em.execute(`select * from "${tablename}"`))));
    expect(dump).not.toContain(created.token);
    expect(dump).not.toContain(created.token.slice(4));
    const [row] = await em.execute<Array<{ token_hash: string; token_prefix: string }>>(
      'select token_hash, token_prefix from personal_access_tokens where id = ?', [created.personalAccessToken.id],
    );
    for (const stored of [row!.token_hash, row!.token_prefix, `acp_${row!.token_hash}`]) {
      expect(await works(stored)).toBe(false);
    }
  });
});
