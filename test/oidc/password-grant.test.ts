// The password grant at /oidc/token through openid-client: what a legacy desktop app sees, including every error.
import * as jose from 'jose';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import {
  createClient, createUser, setActive, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import { dpopKey, dpopProof } from '../helpers/dpop.js';
import { graphql } from '../helpers/graphql.js';
import {
  clientConfig, oauthError, oidc, passwordGrant,
} from '../helpers/oauth.js';

const t = useTestApp();
let client: TestClient;
let user: TestUser;

beforeAll(async () => {
  client = await createClient(t.current);
  user = await createUser(t.current);
});

/** A raw token request, for what openid-client will not send. */
async function tokenRequest(body: Record<string, string>, auth?: { id: string; secret: string }, extraHeaders: Record<string, string> = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...extraHeaders };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.id}:${auth.secret}`).toString('base64')}`;
  const response = await fetch(`${t.current.issuer}/token`, { method: 'POST', headers, body: new URLSearchParams(body) });
  return { status: response.status, body: await response.json() as Record<string, string> };
}

describe('a successful password grant', () => {
  it('issues an access token the GraphQL API accepts, and an ID token signed with the published keys', async () => {
    const tokens = await passwordGrant(t.current, client, user, 'openid profile email');
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'openid profile email' });
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.refresh_token).toBeUndefined();

    const viewer = await graphql<{ viewer: { username: string } }>(t.current.url, '{ viewer { username } }', {}, tokens.access_token);
    expect(viewer.data?.viewer.username).toBe(user.username);

    const jwks = jose.createRemoteJWKSet(new URL(`${t.current.issuer}/jwks`));
    const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token!, jwks, { issuer: t.current.issuer, audience: client.id });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: user.user.id, preferred_username: user.username, email: `${user.username}@example.com` });
  });

  it('accepts the client secret in the body (client_secret_post) as Passport clients send it', async () => {
    const result = await tokenRequest({
      grant_type: 'password', username: user.username, password: user.password, client_id: client.id, client_secret: client.secret,
    });
    expect(result.status).toBe(200);
    expect(result.body.access_token).toEqual(expect.any(String));
  });

  it('signs in with the email address too, in any case', async () => {
    const tokens = await passwordGrant(t.current, client, { username: `${user.username}@EXAMPLE.com`, password: user.password });
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  it('issues a refresh token only for offline_access, and rotates it on use', async () => {
    const config = await clientConfig(t.current, client);
    const first = await passwordGrant(t.current, client, user, 'openid offline_access');
    expect(first.refresh_token).toEqual(expect.any(String));

    const second = await oidc.refreshTokenGrant(config, first.refresh_token!);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const viewer = await graphql<{ viewer: { username: string } }>(t.current.url, '{ viewer { username } }', {}, second.access_token);
    expect(viewer.data?.viewer.username).toBe(user.username);

    // Reusing a rotated refresh token revokes the whole grant, including the tokens issued from it.
    expect(await oauthError(oidc.refreshTokenGrant(config, first.refresh_token!))).toMatchObject({ error: 'invalid_grant' });
    expect(await oauthError(oidc.refreshTokenGrant(config, second.refresh_token!))).toMatchObject({ error: 'invalid_grant' });
    expect((await graphql(t.current.url, '{ viewer { username } }', {}, second.access_token)).status).toBe(401);
  });
});

describe('introspection and revocation of its tokens', () => {
  // patches/oidc-provider+9.13.3.patch skips the JWT parse for tokens without dots; JWTs must still be refused.
  it('answers for the opaque access and refresh tokens, and refuses a JWT with unsupported_token_type', async () => {
    const tokens = await passwordGrant(t.current, client, user, 'openid offline_access');
    const config = await clientConfig(t.current, client);
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, sub: user.user.id, token_type: 'Bearer' });
    expect(await oidc.tokenIntrospection(config, tokens.refresh_token!)).toMatchObject({ active: true, sub: user.user.id });
    expect(await oauthError(oidc.tokenIntrospection(config, tokens.id_token!))).toMatchObject({ error: 'unsupported_token_type', status: 400 });
    expect(await oauthError(oidc.tokenRevocation(config, tokens.id_token!))).toMatchObject({ error: 'unsupported_token_type', status: 400 });
    await oidc.tokenRevocation(config, tokens.access_token);
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
  });
});

describe('password grant errors (RFC 6749 §5.2)', () => {
  it('gives invalid_grant for a wrong password and for an unknown user, alike', async () => {
    const wrongPassword = await oauthError(passwordGrant(t.current, client, { username: user.username, password: 'wrong-password' }));
    const unknownUser = await oauthError(passwordGrant(t.current, client, { username: 'nobody-here', password: 'wrong-password' }));
    expect(wrongPassword).toEqual({ error: 'invalid_grant', status: 400, description: 'grant request is invalid' });
    expect(unknownUser).toEqual(wrongPassword);
  });

  it('gives invalid_grant to a deactivated user, with the same answer', async () => {
    const inactive = await createUser(t.current);
    await setActive(t.current, inactive.user, false);
    expect(await oauthError(passwordGrant(t.current, client, inactive)))
      .toEqual({ error: 'invalid_grant', status: 400, description: 'grant request is invalid' });
  });

  it('gives invalid_client for a wrong client secret, and for an unknown client', async () => {
    expect(await oauthError(passwordGrant(t.current, { id: client.id, secret: 'acs_wrong' }, user)))
      .toMatchObject({ error: 'invalid_client', status: 401 });
    expect(await oauthError(passwordGrant(t.current, { id: '00000000-0000-0000-0000-000000000000', secret: 'x' }, user)))
      .toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('gives unauthorized_client to a client without the Password grant', async () => {
    for (const grants of [[AuthClientGrant.AUTHORIZATION_CODE], [AuthClientGrant.PERSONAL_ACCESS]]) {
      const other = await createClient(t.current, grants, grants.includes(AuthClientGrant.AUTHORIZATION_CODE) ? ['https://app.example.com/cb'] : []);
      expect(await oauthError(passwordGrant(t.current, other, user))).toMatchObject({ error: 'unauthorized_client', status: 400 });
    }
  });

  it('gives invalid_request when the username or password is missing', async () => {
    for (const body of [{ password: user.password }, { username: user.username }] as Array<Record<string, string>>) {
      const result = await tokenRequest({ grant_type: 'password', ...body }, client);
      expect(result).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    }
  });

  it('gives invalid_scope for a scope the service does not know', async () => {
    expect(await oauthError(passwordGrant(t.current, client, user, 'openid admin'))).toMatchObject({ error: 'invalid_scope', status: 400 });
  });

  it('gives unsupported_grant_type for a grant the service does not offer', async () => {
    const result = await tokenRequest({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' }, client);
    expect(result).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
  });

  it('treats a NUL byte in the username as bad credentials, not a server error', async () => {
    const result = await tokenRequest({ grant_type: 'password', username: 'a\u0000b', password: 'whatever1' }, client);
    expect(result).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});

describe('with a DPoP proof (RFC 9449)', () => {
  const VIEWER = JSON.stringify({ query: '{ viewer { username } }' });
  const viewerWith = (config: oidc.Configuration, token: string, options?: oidc.DPoPOptions) => oidc.fetchProtectedResource(
    config, token, new URL(`${t.current.url}/graphql`), 'POST', VIEWER, new Headers({ 'content-type': 'application/json' }), options,
  );

  it('binds the access token to the proof\'s key: token_type DPoP, and /graphql takes it only with a proof', async () => {
    const key = await dpopKey();
    const config = await clientConfig(t.current, client);
    const DPoP = oidc.getDPoPHandle(config, key.keyPair);
    const tokens = await oidc.genericGrantRequest(config, 'password', { username: user.username, password: user.password, scope: 'openid' }, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.thumbprint } });

    const withProof = await viewerWith(config, tokens.access_token, { DPoP });
    expect(await withProof.json()).toEqual({ data: { viewer: { username: user.username } } });
    const asBearer = await graphql(t.current.url, '{ viewer { username } }', {}, tokens.access_token);
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token", .*algs="ES256 Ed25519 EdDSA"$/);
    // Another key's proof is no good either.
    const other = oidc.getDPoPHandle(config, (await dpopKey()).keyPair);
    expect(await oauthError(viewerWith(config, tokens.access_token, { DPoP: other }))).toMatchObject({ error: 'invalid_token', status: 401 });
  });

  it('leaves a confidential client\'s refresh token unbound, as oidc-provider\'s own grants do; a refresh with a proof is bound again', async () => {
    const config = await clientConfig(t.current, client);
    const DPoP = oidc.getDPoPHandle(config, (await dpopKey()).keyPair);
    const first = await oidc.genericGrantRequest(config, 'password', { username: user.username, password: user.password, scope: 'openid offline_access' }, { DPoP });
    expect(first.token_type).toBe('dpop');
    const bound = await oidc.refreshTokenGrant(config, first.refresh_token!, undefined, { DPoP });
    expect(bound.token_type).toBe('dpop');
    const plain = await oidc.refreshTokenGrant(config, bound.refresh_token!);
    expect(plain.token_type).toBe('bearer');
  });

  it('refuses a bad proof with invalid_dpop_proof and issues nothing', async () => {
    const proof = await dpopProof(await dpopKey(), { htu: 'https://elsewhere.example/oidc/token' });
    const result = await tokenRequest({
      grant_type: 'password', username: user.username, password: user.password,
    }, client, { dpop: proof });
    expect(result).toEqual({ status: 400, body: { error: 'invalid_dpop_proof', error_description: 'DPoP proof htu mismatch' } });
  });

  it('refuses a proof used before, with invalid_grant', async () => {
    const proof = await dpopProof(await dpopKey(), { htu: `${t.current.issuer}/token` });
    const body = { grant_type: 'password', username: user.username, password: user.password };
    const first = await tokenRequest(body, client, { dpop: proof });
    expect(first).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
    expect(await tokenRequest(body, client, { dpop: proof })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('issues tokens for a proof sent twice at once only once (the replay check is one insert)', async () => {
    const proof = await dpopProof(await dpopKey(), { htu: `${t.current.issuer}/token` });
    const body = { grant_type: 'password', username: user.username, password: user.password };
    const results = await Promise.all(Array.from({ length: 4 }, () => tokenRequest(body, client, { dpop: proof })));
    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    for (const result of results.filter((candidate) => candidate.status !== 200)) {
      expect(['invalid_grant', 'invalid_dpop_proof']).toContain(result.body.error);
    }
  });
});
