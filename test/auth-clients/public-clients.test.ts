// Public clients through GraphQL and a real openid-client: no secret, only the grants that need none, PKCE, refresh
// tokens that rotate within an absolute lifetime, switching either way, the audit trail, and the Admin Console's guard.
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { useTestApp } from '../helpers/app.js';
import { FormBrowser } from '../helpers/browser.js';
import { createClient, createUser, type TestClient, type TestUser } from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { oauthError, oidc, passwordGrant } from '../helpers/oauth.js';

const REDIRECT = 'https://spa.example.com/callback';
const t = useTestApp();
let adminClient: TestClient;
let admin: TestUser;
let adminToken: string;

beforeAll(async () => {
  adminClient = await createClient(t.current);
  admin = await createUser(t.current, { isSuperAdmin: true });
  adminToken = (await passwordGrant(t.current, adminClient, admin, `openid ${API_SCOPE_NAMES.join(' ')}`)).access_token;
});

const FIELDS = 'id name grants confidential builtIn secretPrefix secrets { id } refreshTokenLifetime enabled';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = Record<string, any>;
const gql = (query: string, variables: Record<string, unknown> = {}) => graphql<Data>(t.current.url, query, variables, adminToken);
const create = (input: Record<string, unknown>) => gql(`mutation($input: CreateAuthClientInput!) { createAuthClient(input: $input) { clientSecret authClient { ${FIELDS} } } }`, { input });
const update = (input: Record<string, unknown>) => gql(`mutation($input: UpdateAuthClientInput!) { updateAuthClient(input: $input) { ${FIELDS} } }`, { input });
const makeConfidential = (id: string) => gql(`mutation($id: ID!) { makeAuthClientConfidential(id: $id) { clientSecret authClient { ${FIELDS} } } }`, { id });
const rotate = (id: string) => gql('mutation($id: ID!) { rotateAuthClientSecret(id: $id) { clientSecret } }', { id });
const errorOf = (result: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => result.errors?.[0]?.extensions;
let counter = 0;
const name = () => `spa-${process.pid}-${counter += 1}`;

interface Created { clientSecret: string | null; authClient: { id: string; grants: string[] } }

async function createPublic(extra: Record<string, unknown> = {}): Promise<Created> {
  const result = await create({
    name: name(), grants: ['AUTHORIZATION_CODE'], redirectUris: [REDIRECT], confidential: false, scopes: API_SCOPE_NAMES, ...extra,
  });
  expect(result.errors).toBeUndefined();
  return result.data!.createAuthClient as Created;
}

const publicConfig = (clientId: string) => oidc.discovery(new URL(t.current.issuer), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });

/** Signs a new user in through `clientId` with PKCE and offline_access, and exchanges the code. */
async function codeFlow(config: oidc.Configuration, usingPkce = true) {
  const user = await createUser(t.current);
  const browser = new FormBrowser([REDIRECT]);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid offline_access',
    prompt: 'consent',
    state,
    ...(usingPkce ? { code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' } : {}),
  });
  const page = await browser.open(url.href);
  if (!usingPkce) return { refused: new URL(page.url).searchParams.get('error') };
  const consent = await browser.submit(page, /\/login$/, { login: user.username, password: user.password });
  const back = await browser.submit(consent, /\/consent$/, { decision: 'allow' });
  return { tokens: await oidc.authorizationCodeGrant(config, new URL(back.url), { pkceCodeVerifier: verifier, expectedState: state }) };
}

describe('creating one', () => {
  it('gives it no secret: clientSecret null, no secrets, and the provider sees token_endpoint_auth_method none', async () => {
    const { clientSecret, authClient } = await createPublic();
    expect(clientSecret).toBeNull();
    expect(authClient).toMatchObject({ confidential: false, builtIn: false, secretPrefix: '', secrets: [] });
    const client = await t.current.app.provider.Client.find(authClient.id);
    expect(client?.metadata()).toMatchObject({ token_endpoint_auth_method: 'none' });
    expect(client?.metadata()).not.toHaveProperty('client_secret');
    const events = await t.current.em().execute<Array<{ changes: Record<string, { after: unknown }> }>>(
      "select changes from audit_events where target_id = ? and action = 'auth_client.created'", [authClient.id],
    );
    expect(events[0]?.changes.confidential).toEqual({ before: null, after: false });
  });

  it('is confidential by default, with a secret', async () => {
    const result = await create({ name: name(), grants: ['PASSWORD'] });
    expect(result.data?.createAuthClient).toMatchObject({ clientSecret: expect.stringMatching(/^acs_/), authClient: { confidential: true } });
  });

  it.each(['PASSWORD', 'CLIENT_CREDENTIALS'])('refuses the %s grant for a public client, beside grants', async (grant) => {
    const result = await create({ name: name(), grants: ['AUTHORIZATION_CODE', grant], redirectUris: [REDIRECT], confidential: false });
    expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'grants' });
  });

  it('allows Personal Access Tokens for a public client', async () => {
    const { authClient } = await createPublic({ grants: ['AUTHORIZATION_CODE', 'PERSONAL_ACCESS'] });
    expect(authClient.grants).toEqual(['AUTHORIZATION_CODE', 'PERSONAL_ACCESS']);
  });

  it('has no secret to rotate: rotateAuthClientSecret refuses, beside id', async () => {
    const { authClient } = await createPublic();
    expect(errorOf(await rotate(authClient.id))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect((await gql('query($id: ID!) { authClient(id: $id) { secrets { id } } }', { id: authClient.id })).data?.authClient.secrets).toEqual([]);
  });
});

describe('signing in through one', () => {
  it('needs PKCE, and its refresh tokens rotate within an absolute lifetime counted from the first', async () => {
    const { authClient } = await createPublic({ refreshTokenLifetime: 3600 });
    const config = await publicConfig(authClient.id);
    expect((await codeFlow(config, false)).refused).toBe('invalid_request');

    const { tokens } = await codeFlow(config);
    expect(tokens?.refresh_token).toEqual(expect.any(String));
    // As if the first token had been issued half an hour ago (iiat is what the absolute limit counts from).
    const { provider } = t.current.app;
    const first = (await provider.RefreshToken.find(tokens!.refresh_token!))!;
    first.iiat = first.iat - 1800;
    await first.save();

    const refreshed = await oidc.refreshTokenGrant(config, tokens!.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens!.refresh_token);
    const second = (await provider.RefreshToken.find(refreshed.refresh_token!))!;
    // The chain ends an hour after it began, not an hour after this refresh.
    expect(second.exp! - (first.iat - 1800)).toBeGreaterThanOrEqual(3599);
    expect(second.exp! - (first.iat - 1800)).toBeLessThanOrEqual(3601);
    // The used one is refused (and its reuse ends the grant, the new one with it).
    expect((await oauthError(oidc.refreshTokenGrant(config, tokens!.refresh_token!))).error).toBe('invalid_grant');
    expect((await oauthError(oidc.refreshTokenGrant(config, refreshed.refresh_token!))).error).toBe('invalid_grant');
  });
});

describe('switching', () => {
  it('confidential to public: the secrets stop working and the code flow\'s refresh tokens end; refused while it has PASSWORD', async () => {
    const created = await create({ name: name(), grants: ['AUTHORIZATION_CODE', 'PASSWORD'], redirectUris: [REDIRECT] });
    const { authClient, clientSecret } = created.data!.createAuthClient as { authClient: { id: string }; clientSecret: string };
    expect(errorOf(await update({ id: authClient.id, confidential: false }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'grants' });

    const confidentialConfig = await oidc.discovery(new URL(t.current.issuer), authClient.id, undefined, oidc.ClientSecretBasic(clientSecret), {
      execute: [oidc.allowInsecureRequests],
    });
    const { tokens } = await codeFlow(confidentialConfig);
    const switched = await update({ id: authClient.id, confidential: false, grants: ['AUTHORIZATION_CODE'] });
    expect(switched.errors).toBeUndefined();
    expect(switched.data?.updateAuthClient).toMatchObject({ confidential: false, secrets: [], secretPrefix: '' });

    const publicOne = await publicConfig(authClient.id);
    expect((await oauthError(oidc.refreshTokenGrant(publicOne, tokens!.refresh_token!))).error).toBe('invalid_grant');
    expect((await oauthError(oidc.tokenIntrospection(confidentialConfig, tokens!.access_token))).error).toBe('invalid_client');
    const events = await t.current.em().execute<Array<{ changes: Record<string, unknown> }>>(
      "select changes from audit_events where target_id = ? and action = 'auth_client.updated'", [authClient.id],
    );
    expect(events.map((event) => event.changes.confidential)).toEqual([{ before: true, after: false }]);
  });

  it('public to confidential: only through makeAuthClientConfidential, whose answer holds the new secret once', async () => {
    const { authClient } = await createPublic();
    expect(errorOf(await update({ id: authClient.id, confidential: true }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'confidential' });
    const made = await makeConfidential(authClient.id);
    expect(made.errors).toBeUndefined();
    const { clientSecret, authClient: after } = made.data!.makeAuthClientConfidential as { clientSecret: string; authClient: unknown };
    expect(clientSecret).toMatch(/^acs_/);
    expect(after).toMatchObject({ confidential: true, secretPrefix: clientSecret.slice(0, 10), secrets: [expect.anything()] });
    expect(errorOf(await makeConfidential(authClient.id))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });

    const config = await oidc.discovery(new URL(t.current.issuer), authClient.id, undefined, oidc.ClientSecretBasic(clientSecret), { execute: [oidc.allowInsecureRequests] });
    expect(await oidc.tokenIntrospection(config, 'not-a-token')).toEqual({ active: false });
    const events = await t.current.em().execute<Array<{ changes: string }>>(
      "select changes::text from audit_events where target_id = ? and action = 'auth_client.updated'", [authClient.id],
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.changes).toContain('"confidential": {"after": true, "before": false}');
    expect(events[0]!.changes).not.toContain(clientSecret);
  });
});

describe('the Admin Console client', () => {
  const consoleId = () => t.current.app.adminConsole.clientId;

  it('is listed as built in and public', async () => {
    const result = await gql(`query($id: ID!) { authClient(id: $id) { ${FIELDS} } }`, { id: consoleId() });
    expect(result.data?.authClient).toMatchObject({ name: 'Admin Console', confidential: false, builtIn: true, enabled: true });
  });

  it.each([
    ['deleted', 'mutation($id: ID!) { deleteAuthClient(id: $id) { deletedAuthClientId } }', 'id'],
    ['disabled', 'mutation($id: ID!) { disableAuthClient(id: $id) { id } }', 'id'],
    ['made confidential', 'mutation($id: ID!) { makeAuthClientConfidential(id: $id) { clientSecret } }', 'id'],
  ])('cannot be %s', async (_what, mutation, field) => {
    expect(errorOf(await gql(mutation, { id: consoleId() }))).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it.each([
    ['name', 'Renamed Console'],
    ['redirectUris', ['https://evil.example.com/callback']],
    ['grants', ['AUTHORIZATION_CODE', 'PERSONAL_ACCESS']],
    ['skipConsent', false],
    ['confidential', true],
  ])('keeps its %s', async (field, value) => {
    expect(errorOf(await update({ id: consoleId(), [field]: value }))).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('takes new token lifetimes, and its tokens can be revoked', async () => {
    const result = await update({ id: consoleId(), refreshTokenLifetime: 7200 });
    expect(result.errors).toBeUndefined();
    expect(result.data?.updateAuthClient).toMatchObject({ refreshTokenLifetime: 7200, builtIn: true });
    expect((await gql('mutation($id: ID!) { revokeAuthClientTokens(id: $id) { revokedCount } }', { id: consoleId() })).errors).toBeUndefined();
  });
});
