// OAuth from the client's side, through openid-client: discovery, then the grants a test needs.
import * as oidc from 'openid-client';
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import type { TestApp } from './app.js';
import type { FormBrowser, Page } from './browser.js';
import type { TestClient, TestUser } from './fixtures.js';

export { oidc };

/** openid-client's view of the service for one client, authenticating with HTTP Basic as RFC 6749 prefers. */
export function clientConfig(t: TestApp, client: TestClient): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(t.issuer), client.id, undefined, oidc.ClientSecretBasic(client.secret), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** Opens the sign-in page of an Authorization Code flow with PKCE for `client` and `redirectUri`, in `browser`. */
export async function openSignInPage(browser: FormBrowser, t: TestApp, client: TestClient, redirectUri: string): Promise<Page> {
  const config = await clientConfig(t, client);
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  return browser.open(url.href);
}

export async function passwordGrant(
  t: TestApp,
  client: TestClient,
  user: Pick<TestUser, 'username' | 'password'>,
  // Everything the fixtures' clients may ask for: what a first-party app of the tests would.
  scope = `openid profile email ${API_SCOPE_NAMES.join(' ')}`,
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  const config = await clientConfig(t, client);
  return oidc.genericGrantRequest(config, 'password', { username: user.username, password: user.password, scope });
}

/** The OAuth error a rejected request got, e.g. `invalid_grant`; fails the test if it was not rejected. */
export async function oauthError(request: Promise<unknown>): Promise<{ error: string; status: number; description?: string }> {
  try {
    await request;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) {
      return { error: error.error, status: error.status, description: error.error_description };
    }
    // A 401 answer carries the error in its WWW-Authenticate challenge (RFC 6750 §3).
    if (error instanceof oidc.WWWAuthenticateChallengeError) {
      const [challenge] = error.cause;
      return { error: challenge?.parameters.error ?? '', status: error.status, description: challenge?.parameters.error_description };
    }
    throw error;
  }
  throw new Error('expected the request to be rejected');
}
