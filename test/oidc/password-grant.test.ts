// The password grant at /oidc/token through openid-client: what a legacy desktop app sees, including every error.
import * as jose from 'jose';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import {
  createClient, createUser, setActive, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
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
async function tokenRequest(body: Record<string, string>, auth?: { id: string; secret: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
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
    const result = await tokenRequest({ grant_type: 'client_credentials' }, client);
    expect(result).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
  });

  it('treats a NUL byte in the username as bad credentials, not a server error', async () => {
    const result = await tokenRequest({ grant_type: 'password', username: 'a\u0000b', password: 'whatever1' }, client);
    expect(result).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});
