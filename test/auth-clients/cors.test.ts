// CORS for browser apps, over real HTTP: /graphql and the token, userinfo and revocation endpoints answer the origins
// of enabled public clients' redirect URIs and CORS_ORIGINS, and no one else; a change applies on the next request,
// on every instance.
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { ConfigError, parseConfig } from '../../src/config.js';
import { heard, startApp, useTestApp } from '../helpers/app.js';
import { createClient, createUser, type TestClient } from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { passwordGrant } from '../helpers/oauth.js';
import { serverUrl } from '../helpers/storage.js';

const PARTNER = 'https://partner.example.com';
const t = useTestApp({ CORS_ORIGINS: `${PARTNER}, http://localhost:5173/` });
let adminClient: TestClient;
let adminToken: string;
let counter = 0;

beforeAll(async () => {
  adminClient = await createClient(t.current);
  const admin = await createUser(t.current, { isSuperAdmin: true });
  adminToken = (await passwordGrant(t.current, adminClient, admin, `openid ${API_SCOPE_NAMES.join(' ')}`)).access_token;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = Record<string, any>;
const gql = (query: string, variables: Record<string, unknown> = {}, url = t.current.url) => graphql<Data>(url, query, variables, adminToken);

/** A client made through GraphQL, redirecting to `https://<host>/callback`; its id. */
async function clientAt(host: string, confidential: boolean): Promise<string> {
  counter += 1;
  const result = await gql('mutation($input: CreateAuthClientInput!) { createAuthClient(input: $input) { authClient { id } } }', {
    input: {
      name: `cors-${counter}`, grants: ['AUTHORIZATION_CODE'], redirectUris: [`https://${host}/app/callback`], confidential,
    },
  });
  expect(result.errors).toBeUndefined();
  return (result.data!.createAuthClient as { authClient: { id: string } }).authClient.id;
}

const preflight = (url: string, origin: string, method = 'POST') => fetch(url, {
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
});
const graphqlFrom = (origin: string, url = t.current.url) => fetch(`${url}/graphql`, {
  method: 'POST',
  headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
  body: JSON.stringify({ query: '{ viewer { username } }' }),
});
const revokeFrom = (origin: string, clientId: string, url = t.current.url) => fetch(`${url}/oidc/token/revocation`, {
  method: 'POST',
  headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ client_id: clientId, token: 'not-a-token' }),
});

/** Whether the answer lets a page at `origin` read it; fails the test on a wildcard or on credentials. */
function corsFor(response: Response, origin: string): boolean {
  expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  const allowed = response.headers.get('access-control-allow-origin');
  expect([null, origin]).toContain(allowed);
  expect(response.headers.get('vary') ?? '').toMatch(/origin/i);
  return allowed === origin;
}

describe('/graphql', () => {
  it('answers the origin of a public client\'s redirect URI: a preflight cached for an hour, then the request', async () => {
    await clientAt('spa.example.com', false);
    const origin = 'https://spa.example.com';
    const answer = await preflight(`${t.current.url}/graphql`, origin);
    expect(answer.status).toBe(204);
    expect(corsFor(answer, origin)).toBe(true);
    expect(answer.headers.get('access-control-max-age')).toBe('3600');
    expect(answer.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(answer.headers.get('access-control-allow-headers')).toBe('authorization, content-type');

    const request = await graphqlFrom(origin);
    expect(request.status).toBe(200);
    expect(corsFor(request, origin)).toBe(true);
    expect(request.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate');
  });

  it('answers the origins of CORS_ORIGINS', async () => {
    for (const origin of [PARTNER, 'http://localhost:5173']) {
      expect(corsFor(await preflight(`${t.current.url}/graphql`, origin), origin)).toBe(true);
      expect(corsFor(await graphqlFrom(origin), origin)).toBe(true);
    }
  });

  it('answers no one else: an unknown origin, a confidential client\'s, another port, "null" (a private-use scheme\'s)', async () => {
    await clientAt('backend.example.com', true);
    for (const origin of ['https://evil.example.com', 'https://backend.example.com', 'https://spa.example.com:8443', 'null']) {
      const answer = await preflight(`${t.current.url}/graphql`, origin);
      expect(answer.status).toBe(403);
      expect(corsFor(answer, origin)).toBe(false);
      // The request itself is served, but its page cannot read the answer.
      const request = await graphqlFrom(origin);
      expect(request.status).toBe(200);
      expect(corsFor(request, origin)).toBe(false);
    }
  });

  it('leaves requests without an Origin alone', async () => {
    const response = await fetch(`${t.current.url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('/oidc', () => {
  const origin = 'https://pwa.example.com';
  let clientId: string;
  beforeAll(async () => {
    clientId = await clientAt('pwa.example.com', false);
  });

  it.each(['token', 'token/revocation', 'me'])('answers a preflight at /oidc/%s for an allowed origin only', async (path) => {
    const allowed = await preflight(`${t.current.issuer}/${path}`, origin, path === 'me' ? 'GET' : 'POST');
    expect(allowed.status).toBe(204);
    expect(corsFor(allowed, origin)).toBe(true);
    expect(allowed.headers.get('access-control-max-age')).toBe('3600');
    const refused = await preflight(`${t.current.issuer}/${path}`, 'https://evil.example.com');
    expect(refused.status).toBe(403);
    expect(corsFor(refused, 'https://evil.example.com')).toBe(false);
  });

  it('lets an allowed page revoke and read userinfo, and no other page read anything', async () => {
    const revoked = await revokeFrom(origin, clientId);
    expect(revoked.status).toBe(200);
    expect(corsFor(revoked, origin)).toBe(true);
    const elsewhere = await revokeFrom('https://evil.example.com', clientId);
    expect(corsFor(elsewhere, 'https://evil.example.com')).toBe(false);
    expect(await elsewhere.json()).toMatchObject({ error: 'invalid_request' });

    const user = await createUser(t.current);
    const { access_token: accessToken } = await passwordGrant(t.current, adminClient, user, 'openid');
    const userinfo = (from: string) => fetch(`${t.current.issuer}/me`, { headers: { origin: from, authorization: `Bearer ${accessToken}` } });
    const read = await userinfo(PARTNER);
    expect(read.status).toBe(200);
    expect(corsFor(read, PARTNER)).toBe(true);
    expect(corsFor(await userinfo('https://evil.example.com'), 'https://evil.example.com')).toBe(false);
  });

  it('does not open introspection to browsers', async () => {
    expect((await preflight(`${t.current.issuer}/token/introspection`, origin)).status).toBe(403);
  });

  it('a token error from an allowed page is readable by it', async () => {
    const response = await fetch(`${t.current.issuer}/token`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: 'not-a-token' }),
    });
    expect(response.status).toBe(400);
    expect(corsFor(response, origin)).toBe(true);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('changes', () => {
  it('stop a disabled client\'s origin, bring it back when enabled, and end it with the client', async () => {
    const id = await clientAt('soon-gone.example.com', false);
    const origin = 'https://soon-gone.example.com';
    expect(corsFor(await graphqlFrom(origin), origin)).toBe(true);
    await gql('mutation($id: ID!) { disableAuthClient(id: $id) { id } }', { id });
    expect(corsFor(await graphqlFrom(origin), origin)).toBe(false);
    expect(corsFor(await revokeFrom(origin, id), origin)).toBe(false);
    await gql('mutation($id: ID!) { enableAuthClient(id: $id) { id } }', { id });
    expect(corsFor(await graphqlFrom(origin), origin)).toBe(true);
    await gql('mutation($id: ID!) { deleteAuthClient(id: $id) { deletedAuthClientId } }', { id });
    expect(corsFor(await graphqlFrom(origin), origin)).toBe(false);
    expect((await preflight(`${t.current.issuer}/token`, origin)).status).toBe(403);
  });

  (serverUrl ? it : it.skip)('reach another instance on one database by its very next request', async () => {
    const other = await startApp(t.current.storage);
    try {
      const origin = 'https://new-app.example.com';
      expect(corsFor(await graphqlFrom(origin, other.url), origin)).toBe(false);
      const otherHeard = heard(other, 'auth_clients');
      const id = await clientAt('new-app.example.com', false);
      await otherHeard;
      expect(corsFor(await graphqlFrom(origin, other.url), origin)).toBe(true);
      expect(corsFor(await revokeFrom(origin, id, other.url), origin)).toBe(true);
      const deleted = heard(other, 'auth_clients');
      await gql('mutation($id: ID!) { deleteAuthClient(id: $id) { deletedAuthClientId } }', { id });
      await deleted;
      expect(corsFor(await graphqlFrom(origin, other.url), origin)).toBe(false);
    } finally {
      await other.stop();
    }
  });
});

describe('CORS_ORIGINS', () => {
  it('keeps origins in their serialised form', () => {
    expect(parseConfig({ CORS_ORIGINS: 'https://A.example.com:443, http://localhost:3000/ ,https://a.example.com' }).corsOrigins)
      .toEqual(['https://a.example.com', 'http://localhost:3000']);
    expect(parseConfig({}).corsOrigins).toEqual([]);
  });

  it.each(['*', 'https://*.example.com', 'example.com', 'ftp://files.example.com', 'https://app.example.com/path', 'https://app.example.com?x=1', 'https://user@app.example.com'])(
    'refuses %s with a message naming the variable',
    (value) => {
      expect(() => parseConfig({ CORS_ORIGINS: value })).toThrow(ConfigError);
      expect(() => parseConfig({ CORS_ORIGINS: value })).toThrow(/^CORS_ORIGINS /);
    },
  );
});
