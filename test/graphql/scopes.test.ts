// API scopes: what a token may do at /graphql is the user's permissions limited to what its scopes cover, and each
// client may ask only for the scopes it is allowed, at the password grant, at /oidc/auth and for personal access tokens.
import { PERMISSIONS } from '../../src/access-control/permissions.js';
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import { FormBrowser } from '../helpers/browser.js';
import { createClient, createUser, type TestClient } from '../helpers/fixtures.js';
import { CREATE_AUTH_CLIENT, graphql, LIST_AUTH_CLIENTS } from '../helpers/graphql.js';
import {
  clientConfig, oauthError, oidc, passwordGrant,
} from '../helpers/oauth.js';

const t = useTestApp();
let client: TestClient;

const CREATE_PAT = `mutation Create($input: CreatePersonalAccessTokenInput!) {
  createPersonalAccessToken(input: $input) { token personalAccessToken { scopes } }
}`;
const LIST_PATS = '{ personalAccessTokens { totalCount } }';
const VIEWER = '{ viewer { username } }';
const newClient = (input: Record<string, unknown> = {}) => ({ input: { name: `scoped ${Math.random()}`, grants: ['PASSWORD'], ...input } });

beforeAll(async () => {
  client = await createClient(t.current);
});

async function tokenFor(scope: string, options: Parameters<typeof createUser>[1] = { isSuperAdmin: true }) {
  const user = await createUser(t.current, options);
  return (await passwordGrant(t.current, client, user, scope)).access_token;
}

describe('a token may use only what its scopes cover', () => {
  it('refuses a Super Admin\'s token without auth_clients:write to create a client: FORBIDDEN naming the scope, HTTP 200', async () => {
    const token = await tokenFor('openid');
    const result = await graphql(t.current.url, CREATE_AUTH_CLIENT, newClient(), token);
    expect(result.status).toBe(200);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', requiredScope: 'auth_clients:write' });
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).errors?.[0]?.extensions)
      .toEqual({ code: 'FORBIDDEN', requiredScope: 'auth_clients:read' });
    // The viewer needs only a valid token.
    expect((await graphql(t.current.url, VIEWER, {}, token)).errors).toBeUndefined();
  });

  it('lets auth_clients:read list but not create, and auth_clients:write create but not list', async () => {
    const reader = await tokenFor('auth_clients:read');
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, reader)).errors).toBeUndefined();
    expect((await graphql(t.current.url, CREATE_AUTH_CLIENT, newClient(), reader)).errors?.[0]?.extensions?.requiredScope).toBe('auth_clients:write');

    const writer = await tokenFor('auth_clients:write');
    expect((await graphql(t.current.url, CREATE_AUTH_CLIENT, newClient(), writer)).errors).toBeUndefined();
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, writer)).errors?.[0]?.extensions?.requiredScope).toBe('auth_clients:read');
  });

  it('never grants by scope what the user lacks: FORBIDDEN without requiredScope', async () => {
    const token = await tokenFor(API_SCOPE_NAMES.join(' '), { permissions: [PERMISSIONS.viewAuthClients] });
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).errors).toBeUndefined();
    const refused = await graphql(t.current.url, CREATE_AUTH_CLIENT, newClient(), token);
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN' });
  });

  it('keeps a personal access token without scopes to the viewer: no clients, no new tokens', async () => {
    const patClient = await createClient(t.current, [AuthClientGrant.PERSONAL_ACCESS]);
    const session = await tokenFor('openid personal_access_tokens');
    const created = await graphql<{ createPersonalAccessToken: { token: string } }>(
      t.current.url, CREATE_PAT, { input: { name: 'no scopes', authClientId: patClient.id, scopes: [] } }, session,
    );
    expect(created.errors).toBeUndefined();
    const pat = created.data!.createPersonalAccessToken.token;
    expect((await graphql(t.current.url, VIEWER, {}, pat)).errors).toBeUndefined();
    expect((await graphql(t.current.url, CREATE_AUTH_CLIENT, newClient(), pat)).errors?.[0]?.extensions?.requiredScope).toBe('auth_clients:write');
    const minted = await graphql(t.current.url, CREATE_PAT, { input: { name: 'from a pat', authClientId: patClient.id } }, pat);
    expect(minted.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', requiredScope: 'personal_access_tokens' });
    expect((await graphql(t.current.url, LIST_PATS, {}, pat)).errors?.[0]?.extensions?.requiredScope).toBe('personal_access_tokens');
  });

  it('creates a personal access token only with scopes the creating token holds and its client allows', async () => {
    const patClient = await createClient(t.current, [AuthClientGrant.PERSONAL_ACCESS], [], ['auth_clients:read', 'personal_access_tokens']);
    const session = await tokenFor('openid personal_access_tokens auth_clients:read auth_clients:write');
    const create = (name: string, scopes: string[], token = session) => graphql<{ createPersonalAccessToken: { token: string; personalAccessToken: { scopes: string[] } } }>(
      t.current.url, CREATE_PAT, { input: { name, authClientId: patClient.id, scopes } }, token,
    );
    const beyondHeld = await create('beyond held', ['profile']);
    expect(beyondHeld.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', requiredScope: 'profile' });
    const beyondClient = await create('beyond client', ['auth_clients:write']);
    expect(beyondClient.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'scopes' });

    const ok = await create('reader', ['auth_clients:read', 'personal_access_tokens']);
    expect(ok.data?.createPersonalAccessToken.personalAccessToken.scopes).toEqual(['auth_clients:read', 'personal_access_tokens']);
    const pat = ok.data!.createPersonalAccessToken.token;
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, pat)).errors).toBeUndefined();
    // A personal access token holding personal_access_tokens may mint another, never with more than it holds.
    expect((await create('child', ['auth_clients:read'], pat)).errors).toBeUndefined();
    expect((await create('wider child', ['openid'], pat)).errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', requiredScope: 'openid' });
  });
});

describe('each client may ask only for its allowed scopes', () => {
  it('stores the API scopes given at creation, and refuses a scope outside the catalogue with BAD_USER_INPUT on scopes', async () => {
    const admin = await tokenFor('auth_clients:write');
    const created = await graphql<{ createAuthClient: { authClient: { scopes: string[] } } }>(
      t.current.url,
      'mutation Create($input: CreateAuthClientInput!) { createAuthClient(input: $input) { authClient { scopes } } }',
      newClient({ scopes: ['auth_clients:write', 'openid', 'auth_clients:read', 'auth_clients:read'] }),
      admin,
    );
    expect(created.data?.createAuthClient.authClient.scopes)
      .toEqual(['openid', 'profile', 'email', 'offline_access', 'auth_clients:read', 'auth_clients:write']);
    const refused = await graphql(t.current.url, CREATE_AUTH_CLIENT, newClient({ scopes: ['admin'] }), admin);
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'scopes' });
  });

  it('gives a new client only the OpenID scopes unless API scopes are listed: invalid_scope at the password grant', async () => {
    const plain = await createClient(t.current, [AuthClientGrant.PASSWORD], [], []);
    const user = await createUser(t.current, { isSuperAdmin: true });
    expect((await passwordGrant(t.current, plain, user, 'openid profile email offline_access')).access_token).toEqual(expect.any(String));
    expect(await oauthError(passwordGrant(t.current, plain, user, 'openid auth_clients:read')))
      .toMatchObject({ error: 'invalid_scope', status: 400 });
  });

  it('answers invalid_scope at /oidc/auth for a scope the client is not allowed', async () => {
    const redirect = 'https://app.example.com/cb';
    const plain = await createClient(t.current, [AuthClientGrant.AUTHORIZATION_CODE], [redirect], []);
    const url = oidc.buildAuthorizationUrl(await clientConfig(t.current, plain), {
      redirect_uri: redirect,
      scope: 'openid auth_clients:write',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'xyz',
    });
    const landed = await new FormBrowser([redirect]).open(url.href);
    const back = new URL(landed.url);
    expect(back.origin + back.pathname).toBe(redirect);
    expect(back.searchParams.get('error')).toBe('invalid_scope');
    expect(back.searchParams.get('state')).toBe('xyz');
  });

  it('lists every API scope in discovery', async () => {
    const discovery = await (await fetch(`${t.current.issuer}/.well-known/openid-configuration`)).json() as { scopes_supported: string[] };
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(['openid', 'offline_access', ...API_SCOPE_NAMES]));
  });
});
