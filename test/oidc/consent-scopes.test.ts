// The consent page shows the API scopes a client asks for, in words a person understands, and a remembered consent
// covers only the scopes that were shown: asking for more asks again.
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { PERMISSIONS } from '../../src/access-control/permissions.js';
import { useTestApp } from '../helpers/app.js';
import { FormBrowser, type Page } from '../helpers/browser.js';
import { createClient, createUser, type TestUser } from '../helpers/fixtures.js';
import { CREATE_AUTH_CLIENT, graphql, LIST_AUTH_CLIENTS } from '../helpers/graphql.js';
import { clientConfig, oidc } from '../helpers/oauth.js';

const REDIRECT = 'https://app.example.com/callback';
const t = useTestApp();
let config: oidc.Configuration;
let user: TestUser;

beforeAll(async () => {
  const client = await createClient(t.current, [AuthClientGrant.AUTHORIZATION_CODE], [REDIRECT]);
  config = await clientConfig(t.current, client);
  user = await createUser(t.current, { permissions: [PERMISSIONS.viewAuthClients, PERMISSIONS.createAuthClients] });
});

async function authorize(browser: FormBrowser, scope: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope, state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const page = await browser.open(url.href);
  const exchange = (redirected: Page) => oidc.authorizationCodeGrant(config, new URL(redirected.url), { pkceCodeVerifier: verifier, expectedState: state });
  return { page, exchange };
}

const listed = (page: Page) => [...page.html.matchAll(/<li>([^<]*) <small>\(([^)]*)\)<\/small><\/li>/g)].map((match) => `${match[2]}: ${match[1]}`);

it('shows each API scope with its description, remembers only what was shown, and asks again for more', async () => {
  const browser = new FormBrowser([REDIRECT]);
  const first = await authorize(browser, 'openid auth_clients:write');
  const consent = await browser.submit(first.page, /\/login$/, { login: user.username, password: user.password });
  expect(listed(consent)).toEqual(['openid: Confirm who you are', 'auth_clients:write: Create and change auth clients as you']);
  const writer = await first.exchange(await browser.submit(consent, /\/consent$/, { decision: 'allow' }));
  expect(writer.scope?.split(' ').sort()).toEqual(['auth_clients:write', 'openid']);
  expect((await graphql(t.current.url, CREATE_AUTH_CLIENT, { input: { name: `consented ${Math.random()}`, grants: ['PASSWORD'] } }, writer.access_token)).errors).toBeUndefined();
  expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, writer.access_token)).errors?.[0]?.extensions?.requiredScope).toBe('auth_clients:read');

  // The same scopes again: consent is remembered, straight back to the app.
  const again = await authorize(browser, 'openid auth_clients:write');
  expect(again.page.url.startsWith(REDIRECT)).toBe(true);
  expect((await again.exchange(again.page)).access_token).toEqual(expect.any(String));

  // One more scope: the page asks again, for that scope only, and the new token holds all three.
  const more = await authorize(browser, 'openid auth_clients:write auth_clients:read');
  expect(more.page.html).toMatch(/\/consent"/);
  expect(listed(more.page)).toEqual(['auth_clients:read: See the auth clients']);
  const wider = await more.exchange(await browser.submit(more.page, /\/consent$/, { decision: 'allow' }));
  expect(wider.scope?.split(' ').sort()).toEqual(['auth_clients:read', 'auth_clients:write', 'openid']);
  expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, wider.access_token)).errors).toBeUndefined();
});
