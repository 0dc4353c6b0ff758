// Creating, reading and listing auth clients through GraphQL, and using a new client at the token endpoint at once.
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PERMISSIONS } from '../../src/access-control/permissions.js';
import { useTestApp } from '../helpers/app.js';
import { createClient, createUser, type TestUser } from '../helpers/fixtures.js';
import { CREATE_AUTH_CLIENT, graphql, LIST_AUTH_CLIENTS } from '../helpers/graphql.js';
import { oauthError, passwordGrant } from '../helpers/oauth.js';

const t = useTestApp();
let admin: TestUser;
let token: string;

interface Created { createAuthClient: { clientSecret: string; authClient: { id: string; name: string; grants: string[]; secretPrefix: string; createdAt: string } } }
interface Page { authClients: { totalCount: number; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }; edges: Array<{ cursor: string; node: { id: string; name: string } }> } }

beforeAll(async () => {
  admin = await createUser(t.current, { permissions: [PERMISSIONS.createAuthClients, PERMISSIONS.viewAuthClients] });
  token = (await passwordGrant(t.current, await createClient(t.current), admin)).access_token;
});

const create = (input: Record<string, unknown>) => graphql<Created>(t.current.url, CREATE_AUTH_CLIENT, { input }, token);
const list = (variables: Record<string, unknown>) => graphql<Page>(t.current.url, LIST_AUTH_CLIENTS, variables, token);

describe('createAuthClient', () => {
  it('returns the client and its secret, which works at the token endpoint straight away', async () => {
    const result = await create({ name: '  Legacy Desktop App ', grants: ['PASSWORD'] });
    expect(result.errors).toBeUndefined();
    const { authClient, clientSecret } = result.data!.createAuthClient;
    expect(authClient).toMatchObject({ name: 'Legacy Desktop App', grants: ['PASSWORD'], redirectUris: [] });
    expect(authClient.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(authClient.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    // 256 bits of randomness behind a recognisable prefix; the prefix shown later is not the secret.
    expect(clientSecret).toMatch(/^acs_[A-Za-z0-9_-]{43}$/);
    expect(clientSecret.startsWith(authClient.secretPrefix)).toBe(true);
    expect(authClient.secretPrefix.length).toBeLessThan(12);

    const tokens = await passwordGrant(t.current, { id: authClient.id, secret: clientSecret }, admin, 'openid offline_access');
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const viewer = await graphql<{ viewer: { username: string } }>(t.current.url, '{ viewer { username } }', {}, tokens.access_token);
    expect(viewer.data?.viewer.username).toBe(admin.username);
  });

  it('gives a client without the Password grant unauthorized_client at the token endpoint', async () => {
    const result = await create({ name: 'Code Only', grants: ['AUTHORIZATION_CODE'], redirectUris: ['https://app.example.com/cb'] });
    const { authClient, clientSecret } = result.data!.createAuthClient;
    const error = await oauthError(passwordGrant(t.current, { id: authClient.id, secret: clientSecret }, admin));
    expect(error).toMatchObject({ error: 'unauthorized_client', status: 400 });
  });

  it('never shows the secret again: not in lists, not by id', async () => {
    const { authClient, clientSecret } = (await create({ name: 'Shown Once', grants: ['PASSWORD'] })).data!.createAuthClient;
    const byId = await graphql(t.current.url, 'query($id: ID!) { authClient(id: $id) { id name secretPrefix } }', { id: authClient.id }, token);
    const page = await list({ first: 100 });
    expect(JSON.stringify([byId, page])).not.toContain(clientSecret);
    const introspection = await graphql<{ __type: { fields: Array<{ name: string }> } }>(t.current.url, '{ __type(name: "AuthClient") { fields { name } } }', {}, token);
    expect(introspection.data?.__type.fields.map((f) => f.name)).not.toEqual(expect.arrayContaining([expect.stringMatching(/secret(Hash)?$/i)]));
  });
});

describe('authClient(id)', () => {
  it('returns null for an unknown id and for a malformed one', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', "'; drop table auth_clients; --"]) {
      const result = await graphql(t.current.url, 'query($id: ID!) { authClient(id: $id) { id } }', { id }, token);
      expect(result).toMatchObject({ status: 200, data: { authClient: null } });
      expect(result.errors).toBeUndefined();
    }
  });
});

describe('authClients', () => {
  const names = ['delta', 'Alpha', 'charlie', 'Bravo', 'echo 100%', 'echo_1'];

  beforeAll(async () => {
    for (const name of names) await create({ name: `Sort ${name}`, grants: ['PERSONAL_ACCESS'] });
  });

  it('sorts by name ignoring case and pages with cursors, counting all matches', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Page['authClients'] = (await list({ first: 4, after, search: 'sort ' })).data!.authClients;
      expect(page.totalCount).toBe(6);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.edges.map((edge) => edge.node.name));
      pages += 1;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(2);
    expect(seen).toEqual(['Sort Alpha', 'Sort Bravo', 'Sort charlie', 'Sort delta', 'Sort echo 100%', 'Sort echo_1']);
  });

  it('searches by part of the name, any case, with % and _ taken literally', async () => {
    const names = async (search: string) => (await list({ search })).data!.authClients.edges.map((edge) => edge.node.name);
    expect(await names('BRAVO')).toEqual(['Sort Bravo']);
    expect(await names('100%')).toEqual(['Sort echo 100%']);
    expect(await names('o_')).toEqual(['Sort echo_1']);
    expect(await names('no such client')).toEqual([]);
  });

  it('defaults to 50 per page and allows up to 100', async () => {
    expect((await list({})).data!.authClients.edges.length).toBeLessThanOrEqual(50);
    expect((await list({ first: 100 })).errors).toBeUndefined();
  });

  it.each([
    ['first above 100', { first: 101 }, 'first'],
    ['negative first', { first: -1 }, 'first'],
    ['a forged cursor', { after: 'bm90LWEtY3Vyc29y' }, 'after'],
    ['a cursor that is not base64 JSON', { after: '!!!' }, 'after'],
    ['a search with a NUL byte', { search: 'a\u0000b' }, 'search'],
  ])('refuses %s with BAD_USER_INPUT', async (_case, variables, field) => {
    const result = await list(variables);
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
  });
});

describe('through Apollo Client', () => {
  const apollo = () => new ApolloClient({
    link: new HttpLink({ uri: `${t.current.url}/graphql`, headers: { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache(),
  });

  it('lists clients and creates one as a frontend would', async () => {
    const client = apollo();
    const created = await client.mutate<Created>({
      mutation: gql(CREATE_AUTH_CLIENT),
      variables: { input: { name: 'From Apollo Client', grants: ['AUTHORIZATION_CODE'], redirectUris: ['https://spa.example.com/cb'] } },
    });
    expect(created.data?.createAuthClient.authClient.name).toBe('From Apollo Client');

    const page = await client.query<Page>({ query: gql(LIST_AUTH_CLIENTS), variables: { search: 'from apollo' } });
    expect(page.data?.authClients.edges.map((edge) => edge.node.name)).toEqual(['From Apollo Client']);
  });

  it('surfaces the error code and field of a refused create', async () => {
    const client = apollo();
    const error = await client.mutate({
      mutation: gql(CREATE_AUTH_CLIENT),
      variables: { input: { name: 'From Apollo Client', grants: ['PASSWORD'] } },
    }).then(() => undefined, (e: unknown) => e);
    expect(CombinedGraphQLErrors.is(error)).toBe(true);
    expect((error as CombinedGraphQLErrors).errors[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
  });
});
