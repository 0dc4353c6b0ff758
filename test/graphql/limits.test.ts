// Limits on what one GraphQL request may ask (issue 11): tokens, aliases, depth, directives, cost weighted by page
// sizes, root mutations, a time budget; introspection and field suggestions only for signed-in callers in production.
// Each refusal is a 4xx with a code and a message naming the limit, given before the token is even looked up.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { getIntrospectionQuery } from 'graphql';
import { useTestApp, type TestApp } from '../helpers/app.js';
import { createClient, createUser } from '../helpers/fixtures.js';
import {
  CREATE_AUTH_CLIENT, graphql, LIST_AUTH_CLIENTS, type GraphQLResult,
} from '../helpers/graphql.js';
import { passwordGrant } from '../helpers/oauth.js';

// The production instance, with every limit at its default.
const t = useTestApp({ NODE_ENV: 'production' });
// Outside production, with a tiny time budget and strict limits of its own (its own database: in embedded mode, one
// service per data folder).
const dev = useTestApp({ GRAPHQL_TIMEOUT_MS: '1', GRAPHQL_MAX_ALIASES: '1', GRAPHQL_MAX_DEPTH: '2' });
let token: string;
let devToken: string;

beforeAll(async () => {
  const signIn = async (app: TestApp) => {
    const admin = await createUser(app, { isSuperAdmin: true });
    return (await passwordGrant(app, await createClient(app), admin)).access_token;
  };
  token = await signIn(t.current);
  devToken = await signIn(dev.current);
});

const codes = (result: GraphQLResult) => result.errors?.map((error) => error.extensions?.code);
const messages = (result: GraphQLResult) => result.errors?.map((error) => error.message).join('\n') ?? '';
const repeat = (count: number, make: (i: number) => string) => Array.from({ length: count }, (_, i) => make(i)).join(' ');
const clientCount = async () => (await graphql<{ authClients: { totalCount: number } }>(t.current.url, '{ authClients { totalCount } }', {}, token))
  .data!.authClients.totalCount;

/** Refused before execution: HTTP 400, no data, one error with this code and a message naming the limit. */
function expectRefused(result: GraphQLResult, code: string, message: RegExp) {
  expect({ status: result.status, data: result.data, codes: codes(result) }).toEqual({ status: 400, data: undefined, codes: [code] });
  expect(result.errors?.[0]?.message).toMatch(message);
}

describe('the attack of issue 11', () => {
  const thousandAliases = `{ ${repeat(1000, (i) => `a${i}: authClients(first: 100) { totalCount }`)} }`;

  it('refuses 1,000 aliases of authClients(first: 100): the parser stops at the token limit', async () => {
    expectRefused(await graphql(t.current.url, thousandAliases, {}, token), 'GRAPHQL_PARSE_FAILED', /^Token limit of 1000 exceeded/);
  });

  it('refuses it before looking at the token: a bogus token gets the same refusal, not a 401', async () => {
    expectRefused(await graphql(t.current.url, thousandAliases, {}, 'not-a-token'), 'GRAPHQL_PARSE_FAILED', /^Token limit of 1000 exceeded/);
  });

  it('executes none of 200 createAuthClient in one request', async () => {
    const before = await clientCount();
    const mutation = `mutation { ${repeat(200, (i) => `c${i}: createAuthClient(input: { name: "bulk ${i}", grants: [PASSWORD] }) { authClient { id } }`)} }`;
    expect((await graphql(t.current.url, mutation, {}, token)).status).toBe(400);
    expect(await clientCount()).toBe(before);
  });
});

describe('limits on the shape of a query', () => {
  it('refuses more than 15 aliases', async () => {
    const query = `{ ${repeat(16, (i) => `a${i}: viewer { id }`)} }`;
    expectRefused(await graphql(t.current.url, query, {}, token), 'GRAPHQL_VALIDATION_FAILED', /^Aliases limit of 15 exceeded, found 16\.$/);
    expect((await graphql(t.current.url, `{ ${repeat(15, (i) => `a${i}: viewer { id }`)} }`, {}, token)).errors).toBeUndefined();
  });

  it('refuses a query deeper than 10', async () => {
    const deep = '{ authClients { edges { node { createdBy { groups { members { edges { node { groups { members { totalCount } } } } } } } } } } }';
    expectRefused(await graphql(t.current.url, deep, {}, token), 'GRAPHQL_VALIDATION_FAILED', /^Query depth limit of 10 exceeded, found 11\.$/);
  });

  it('refuses more than 1000 tokens', async () => {
    const long = `{ viewer { ${repeat(1000, () => 'id')} } }`;
    expectRefused(await graphql(t.current.url, long, {}, token), 'GRAPHQL_PARSE_FAILED', /^Token limit of 1000 exceeded: parsing stopped there\.$/);
  });

  it('refuses more than 20 directives', async () => {
    // Spread over three selection sets: one field may occur at most 10 times in one (below).
    const directives = (count: number) => `{ ${[7, 7, count - 14].map((n, i) => `v${i}: viewer { ${repeat(n, () => 'id @include(if: true)')} }`).join(' ')} }`;
    expectRefused(await graphql(t.current.url, directives(21), {}, token), 'GRAPHQL_VALIDATION_FAILED', /^Directives limit of 20 exceeded, found 21\.$/);
    expect((await graphql(t.current.url, directives(20), {}, token)).errors).toBeUndefined();
  });

  it('refuses one field more than 10 times in one selection set, inline fragments counted, before validation runs', async () => {
    // No aliases and under the token limit, yet graphql-js's "fields can merge" rule would compare every pair first.
    const identical = `{ ${repeat(249, () => 'authClients { totalCount }')} }`;
    expectRefused(await graphql(t.current.url, identical, {}, token), 'GRAPHQL_VALIDATION_FAILED', /^Repeated fields limit of 10 exceeded, found one field 249 times\.$/);
    expectRefused(await graphql(t.current.url, identical, {}, 'not-a-token'), 'GRAPHQL_VALIDATION_FAILED', /^Repeated fields limit of 10 exceeded/);
    const inline = `{ viewer { ${repeat(11, () => '... on User { id }')} } }`;
    expectRefused(await graphql(t.current.url, inline, {}, token), 'GRAPHQL_VALIDATION_FAILED', /found one field 11 times\.$/);
    expect((await graphql(t.current.url, `{ viewer { ${repeat(10, () => 'id')} } }`, {}, token)).errors).toBeUndefined();
  });

  it('refuses more than 5 root mutation fields, executing none of them', async () => {
    const before = await clientCount();
    const six = `mutation { ${repeat(6, (i) => `c${i}: createAuthClient(input: { name: "six ${i}", grants: [PASSWORD] }) { authClient { id } }`)} }`;
    expectRefused(await graphql(t.current.url, six, {}, token), 'GRAPHQL_VALIDATION_FAILED', /^Mutations limit of 5 exceeded, found 6\.$/);
    expect(await clientCount()).toBe(before);

    const five = `mutation { ${repeat(5, (i) => `c${i}: createAuthClient(input: { name: "five ${i}", grants: [PASSWORD] }) { authClient { id } }`)} }`;
    expect((await graphql(t.current.url, five, {}, token)).errors).toBeUndefined();
    expect(await clientCount()).toBe(before + 5);
  });
});

describe('the cost of a query, weighted by page sizes', () => {
  const nested = 'query($first: Int) { groups(first: $first) { edges { node { name members(first: $first) { totalCount edges { node { id username email } } } } } } }';

  it('refuses nested lists of 100 × 100, given inline', async () => {
    const query = '{ users(first: 100) { edges { node { groups { members(first: 100) { edges { node { id username } } } } } } } }';
    expectRefused(await graphql(t.current.url, query, {}, token), 'GRAPHQL_VALIDATION_FAILED', /^Query cost limit of 10000 exceeded, found \d+\./);
  });

  it('weighs a page size given as a variable by its value', async () => {
    expectRefused(await graphql(t.current.url, nested, { first: 100 }, token), 'GRAPHQL_VALIDATION_FAILED', /^Query cost limit of 10000 exceeded/);
    expect((await graphql(t.current.url, nested, { first: 10 }, token)).errors).toBeUndefined();
  });

  it('weighs a list without first by its default page size (50)', async () => {
    expectRefused(await graphql(t.current.url, nested, {}, token), 'GRAPHQL_VALIDATION_FAILED', /^Query cost limit of 10000 exceeded, found 15201\./);
  });

  it('refuses an over-cost query before looking at the token', async () => {
    expectRefused(await graphql(t.current.url, nested, { first: 100 }, 'not-a-token'), 'GRAPHQL_VALIDATION_FAILED', /cost limit/);
  });
});

describe('introspection and field suggestions', () => {
  const schemaQuery = '{ __schema { queryType { name } } }';
  const typeQuery = '{ __type(name: "AuthClient") { fields { name } } }';
  const typo = '{ authClients { edges { node { nmae } } } }';

  it('refuses introspection to an anonymous caller in production: UNAUTHENTICATED, 401, no schema', async () => {
    for (const query of [schemaQuery, typeQuery, getIntrospectionQuery()]) {
      const result = await graphql(t.current.url, query);
      expect({ status: result.status, data: result.data, codes: codes(result) }).toEqual({ status: 401, data: undefined, codes: ['UNAUTHENTICATED'] });
      expect(result.headers.get('www-authenticate')).toBe('Bearer');
      expect(messages(result)).toMatch(/introspection/i);
    }
    // The playground is served all the same: it asks for the schema once signed in (README, The GraphQL playground).
    const playground = await fetch(`${t.current.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(playground.status).toBe(200);
    expect(await playground.text()).toMatch(/<title>GraphQL playground[^]*data-schema-for-anonymous="false"/);
    // __typename is no introspection of the schema: Apollo Client asks for it everywhere.
    expect((await graphql(t.current.url, '{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('allows it with a valid token in production, and to anyone outside production', async () => {
    const signedIn = await graphql<{ __schema: { types: unknown[] } }>(t.current.url, getIntrospectionQuery(), {}, token);
    expect(signedIn.errors).toBeUndefined();
    expect(signedIn.data?.__schema.types.length).toBeGreaterThan(20);
    expect((await graphql(dev.current.url, schemaQuery)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('gives no "Did you mean" to an anonymous caller in production, on fields and on enum values', async () => {
    const unknownField = await graphql(t.current.url, typo);
    expect(codes(unknownField)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(messages(unknownField)).toBe('Cannot query field "nmae" on type "AuthClient".');

    const badEnum = await graphql(t.current.url, CREATE_AUTH_CLIENT, { input: { name: 'x', grants: ['PASWORD'] } });
    expect(codes(badEnum)).toEqual(['BAD_USER_INPUT']);
    expect(messages(badEnum)).toMatch(/"PASWORD" does not exist in "AuthClientGrant" enum\.$/);

    // A bad token is no signed-in caller either.
    expect(messages(await graphql(t.current.url, typo, {}, 'not-a-token'))).not.toMatch(/Did you mean/);
  });

  it('keeps suggestions for a signed-in caller in production, and for anyone outside production', async () => {
    expect(messages(await graphql(t.current.url, typo, {}, token))).toMatch(/Did you mean "name"\?/);
    expect(messages(await graphql(dev.current.url, typo))).toMatch(/Did you mean "name"\?/);
    const shallowCreate = 'mutation($grants: [AuthClientGrant!]!) { createAuthClient(input: { name: "x", grants: $grants }) { clientSecret } }';
    expect(messages(await graphql(dev.current.url, shallowCreate, { grants: ['PASWORD'] })))
      .toMatch(/Did you mean the enum value "PASSWORD"\?/);
  });
});

describe('the time budget', () => {
  it('stops resolving further fields once GRAPHQL_TIMEOUT_MS has passed, with one TIMEOUT error and no 5xx', async () => {
    const name = `late-${Date.now()}`;
    // Hashing the new user's password alone takes longer than 1 ms, so the second mutation is never started.
    const mutation = `mutation {
      createUser(input: { username: "${name}", email: "${name}@example.com", password: "violet ostrich umbrella ${name}" }) { id }
      createGroup(input: { name: "${name}" }) { id }
    }`;
    const result = await graphql(dev.current.url, mutation, {}, devToken);
    expect(result.status).toBe(200);
    expect(codes(result)).toEqual(['TIMEOUT']);
    expect(messages(result)).toMatch(/time budget of 1 ms/);
    // (Read from the database: every request to this instance runs out of its 1 ms.)
    expect(await dev.current.em().execute('select id from groups where name = ?', [name])).toEqual([]);
  });
});

describe('what legitimate callers send still works', () => {
  const adminList = `query AdminList($first: Int, $after: String) {
    authClients(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node {
        id name grants redirectUris scopes secretPrefix createdAt updatedAt enabled skipConsent
        accessTokenLifetime refreshTokenLifetime lastUsedAt permissions
        secrets { id prefix createdAt expiresAt lastUsedAt }
        createdBy { id username email isActive }
      } }
    }
  }`;

  it('lists 100 clients with nested fields, the tests\' own queries, and 5 mutations at once', async () => {
    for (let i = 0; i < 3; i += 1) {
      expect((await graphql(t.current.url, CREATE_AUTH_CLIENT, { input: { name: `legit ${i}`, grants: ['PASSWORD'] } }, token)).errors).toBeUndefined();
    }
    const page = await graphql<{ authClients: { edges: unknown[] } }>(t.current.url, adminList, { first: 100 }, token);
    expect(page.errors).toBeUndefined();
    expect(page.data?.authClients.edges.length).toBeGreaterThan(3);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, { first: 100 }, token)).errors).toBeUndefined();
    const people = '{ users(first: 100) { totalCount edges { node { id username email isSuperAdmin isActive lastSignInAt effectivePermissions directPermissions groups { id name } } } } groups(first: 20) { edges { node { name memberCount members(first: 20) { edges { node { username } } } } } } permissions { name permissions { name title } } viewer { id username } }';
    expect((await graphql(t.current.url, people, {}, token)).errors).toBeUndefined();
  });

  it('answers Apollo Client with the limits on: fragments, variables and __typename everywhere', async () => {
    const client = new ApolloClient({
      link: new HttpLink({ uri: `${t.current.url}/graphql`, headers: { authorization: `Bearer ${token}` } }),
      cache: new InMemoryCache(),
    });
    const query = gql`
      fragment ClientRow on AuthClient { id name grants enabled lastUsedAt createdBy { id username } secrets { id prefix } }
      query Clients($first: Int) { authClients(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { node { ...ClientRow } } } }
    `;
    const result = await client.query<{ authClients: { totalCount: number; edges: Array<{ node: { __typename: string } }> } }>({ query, variables: { first: 100 } });
    expect(result.data?.authClients.totalCount).toBeGreaterThan(0);
    expect(result.data?.authClients.edges[0]?.node.__typename).toBe('AuthClient');
  });
});

it('keeps the limits configurable: GRAPHQL_MAX_ALIASES, GRAPHQL_MAX_DEPTH, ...', async () => {
  expectRefused(await graphql(dev.current.url, '{ a: viewer { id } b: viewer { id } }', {}, devToken), 'GRAPHQL_VALIDATION_FAILED', /Aliases limit of 1 exceeded/);
  expectRefused(await graphql(dev.current.url, '{ authClients { edges { cursor } } }', {}, devToken), 'GRAPHQL_VALIDATION_FAILED', /depth limit of 2 exceeded/);
});
