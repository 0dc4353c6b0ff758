// The Authorization Code flow with PKCE, driven by openid-client and a cookie-keeping form browser: sign-in and
// consent pages, code exchange, userinfo, refresh, introspection, revocation, logout, and every error on the way.
import * as jose from 'jose';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { resolveAppKey } from '../../src/db/orm.js';
import { storedIdOf } from '../../src/oidc/adapter.js';
import { Secrets } from '../../src/shared/secrets.js';
import { useTestApp } from '../helpers/app.js';
import { FormBrowser, type Page } from '../helpers/browser.js';
import {
  changeInSql, createClient, createUser, setActive, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { clientConfig, oauthError, oidc } from '../helpers/oauth.js';

const REDIRECT = 'https://app.example.com/callback';
const t = useTestApp();
let client: TestClient;
let config: oidc.Configuration;
let user: TestUser;
/** The key oidc-provider's rows are stored under, to change them in SQL behind the service's back. */
let storedId: (value: string) => string;

beforeAll(async () => {
  client = await createClient(t.current, [AuthClientGrant.AUTHORIZATION_CODE], [REDIRECT]);
  config = await clientConfig(t.current, client);
  user = await createUser(t.current);
  const secrets = new Secrets(await resolveAppKey(t.current.config));
  storedId = (value) => storedIdOf(secrets, value);
});

const countRows = async (model: string, column: 'id' | 'uid', key: string) => (
  await t.current.em().execute<Array<{ rows: number }>>(`select count(*)::int as rows from oidc_payloads where model = ? and ${column} = ?`, [model, key])
)[0]!.rows;
const userinfoStatus = async (accessToken: string) => (await fetch(`${t.current.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

interface Flow { verifier: string; state: string; nonce: string; page: Page }

async function authorize(browser: FormBrowser, params: Record<string, string> = {}, using = config): Promise<Flow> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(using, {
    redirect_uri: REDIRECT,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { verifier, state, nonce, page: await browser.open(url.href) };
}

const signIn = (browser: FormBrowser, page: Page, who: Pick<TestUser, 'username' | 'password'> = user) => browser.submit(page, /\/login$/, { login: who.username, password: who.password });
const decide = (browser: FormBrowser, page: Page, decision: 'allow' | 'deny') => browser.submit(page, /\/consent$/, { decision });
const exchange = (flow: Flow, redirected: Page, using = config) => oidc.authorizationCodeGrant(using, new URL(redirected.url), {
  pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce,
});

/** Signs a new user in through a new browser and allows the client; consent is asked the first time only. */
async function fullFlow(params: Record<string, string> = {}, browser = new FormBrowser([REDIRECT])) {
  const who = await createUser(t.current);
  const flow = await authorize(browser, params);
  const consent = await signIn(browser, flow.page, who);
  expect(consent.html).toMatch(/\/consent"/);
  const redirected = await decide(browser, consent, 'allow');
  return {
    browser, who, flow, redirected, tokens: await exchange(flow, redirected),
  };
}

describe('the whole flow', () => {
  it('signs in, asks consent, and issues tokens that work everywhere', async () => {
    const browser = new FormBrowser([REDIRECT]);
    const flow = await authorize(browser, { scope: 'openid profile email offline_access', prompt: 'consent' });

    // The sign-in page: labelled fields, safe headers, a generic error that keeps the username.
    expect(flow.page.status).toBe(200);
    expect(flow.page.html).toMatch(/<label for="login">Username or email<\/label>/);
    expect(flow.page.html).toMatch(/<label for="password">Password<\/label>/);
    expect(flow.page.html).not.toMatch(/<script/i);
    expect(flow.page.headers.get('cache-control')).toBe('no-store');
    expect(flow.page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(flow.page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(flow.page.headers.get('content-security-policy')).not.toMatch(/script-src|unsafe-inline/);
    const failed = await signIn(browser, flow.page, { username: user.username, password: 'wrong password' });
    expect(failed.status).toBe(401);
    expect(failed.html).toContain('The username, email or password is not right.');
    expect(failed.html).toContain(`value="${user.username}"`);

    // The consent page names the client and the scopes.
    const consent = await signIn(browser, failed);
    const clientName = (await t.current.app.provider.Client.find(client.id))!.clientName!;
    expect(consent.html).toContain(clientName);
    for (const scope of ['openid', 'profile', 'email', 'offline_access']) expect(consent.html).toContain(`(${scope})`);

    const redirected = await decide(browser, consent, 'allow');
    expect(redirected.url.startsWith(`${REDIRECT}?`)).toBe(true);
    expect(new URL(redirected.url).searchParams.get('code')).toEqual(expect.any(String));

    const tokens = await exchange(flow, redirected);
    expect(tokens.claims()).toMatchObject({ sub: user.user.id, nonce: flow.nonce, iss: t.current.issuer, aud: client.id });
    // openid-client checked the claims; the signature verifies against the published keys too.
    await jose.jwtVerify(tokens.id_token!, jose.createRemoteJWKSet(new URL(`${t.current.issuer}/jwks`)), { issuer: t.current.issuer, audience: client.id });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // /graphql accepts the access token; userinfo answers for the granted scopes.
    const viewer = await graphql<{ viewer: { username: string } }>(t.current.url, '{ viewer { username } }', {}, tokens.access_token);
    expect(viewer.data?.viewer.username).toBe(user.username);
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, user.user.id);
    expect(userinfo).toMatchObject({ sub: user.user.id, preferred_username: user.username, email: `${user.username}@example.com` });

    // Introspection of its own token; refresh rotates; revocation stops the token at once.
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, client_id: client.id, sub: user.user.id });
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await oidc.tokenRevocation(config, refreshed.access_token);
    expect((await graphql(t.current.url, '{ viewer { id } }', {}, refreshed.access_token)).status).toBe(401);
    expect(await oidc.tokenIntrospection(config, refreshed.access_token)).toEqual({ active: false });
  });

  it('remembers consent: the next authorization skips it, prompt=consent asks again, another browser only signs in', async () => {
    const { browser, who } = await fullFlow();
    const again = await authorize(browser);
    expect(again.page.url.startsWith(REDIRECT)).toBe(true); // signed in and consented: straight back with a code
    expect((await exchange(again, again.page)).access_token).toEqual(expect.any(String));

    const forced = await authorize(browser, { prompt: 'consent' });
    expect(forced.page.html).toContain('Allow');
    expect(forced.page.html).toMatch(/\/consent"/);

    const elsewhere = new FormBrowser([REDIRECT]);
    const flow = await authorize(elsewhere);
    const afterSignIn = await signIn(elsewhere, flow.page, who);
    expect(afterSignIn.url.startsWith(REDIRECT)).toBe(true);
  });

  it('sends the user back with access_denied when they deny', async () => {
    const browser = new FormBrowser([REDIRECT]);
    const flow = await authorize(browser, { prompt: 'consent' });
    const redirected = await decide(browser, await signIn(browser, flow.page), 'deny');
    const params = new URL(redirected.url).searchParams;
    expect({ error: params.get('error'), state: params.get('state') }).toEqual({ error: 'access_denied', state: flow.state });
  });

  it('sends the user back with access_denied when they cancel signing in', async () => {
    const browser = new FormBrowser([REDIRECT]);
    const flow = await authorize(browser);
    const redirected = await browser.submit(flow.page, /\/abort$/);
    expect(redirected.url.startsWith(`${REDIRECT}?`)).toBe(true);
    const params = new URL(redirected.url).searchParams;
    expect({ error: params.get('error'), state: params.get('state'), code: params.get('code') }).toEqual({ error: 'access_denied', state: flow.state, code: null });
  });

  it('refuses a token bound to the browser session (no offline_access) once that session is gone, though its grant remains', async () => {
    const { tokens } = await fullFlow();
    const stored = (await t.current.app.provider.AccessToken.find(tokens.access_token))!;
    expect({ expiresWithSession: stored.expiresWithSession, refreshToken: tokens.refresh_token }).toEqual({ expiresWithSession: true, refreshToken: undefined });
    expect(await userinfoStatus(tokens.access_token)).toBe(200);
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true });
    expect((await graphql(t.current.url, '{ viewer { id } }', {}, tokens.access_token)).status).toBe(200);

    // The session row goes (as when it expires or is cleaned up), behind the service's back; the grant stays.
    expect(await countRows('Session', 'uid', storedId(stored.sessionUid!))).toBe(1);
    await changeInSql(t.current, "delete from oidc_payloads where model = 'Session' and uid = ?", [storedId(stored.sessionUid!)]);
    expect(await countRows('Grant', 'id', storedId(stored.grantId))).toBe(1);

    expect(await userinfoStatus(tokens.access_token)).toBe(401);
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    expect((await graphql(t.current.url, '{ viewer { id } }', {}, tokens.access_token)).status).toBe(401);
  });

  it('ends the session with RP-initiated logout', async () => {
    const { browser, tokens } = await fullFlow();
    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: REDIRECT, state: 'bye' });
    const confirm = await browser.open(logout.href);
    expect(confirm.html).toContain('Yes, sign me out');
    expect(confirm.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    const done = await browser.submit(confirm, /session\/end\/confirm/, { logout: 'yes' });
    expect(done.url).toBe(`${REDIRECT}?state=bye`);

    // The session is gone: the token bound to it is refused, and a new authorization asks to sign in again.
    expect((await graphql(t.current.url, '{ viewer { id } }', {}, tokens.access_token)).status).toBe(401);
    const next = await authorize(browser);
    expect(next.page.html).toContain('Username or email');
  });
});

// oidc-provider keeps offline_access only with prompt=consent. Its lib/actions/authorization/scopes.js drops it when
// `PARAM_LIST.has('prompt') && !prompts.has('consent')`, and PARAM_LIST holds the parameters it knows (prompt always),
// not the ones the request sent: so no prompt at all drops it too.
describe('offline_access and prompt', () => {
  it.each([
    ['prompt=consent keeps offline_access: a refresh token is issued', { prompt: 'consent' }, true],
    ['no prompt at all drops offline_access: no refresh token, and the tokens live only as long as the session', {}, false],
    ['prompt=login drops offline_access: no refresh token, and the tokens live only as long as the session', { prompt: 'login' }, false],
  ])('%s', async (_behaviour, prompt: Record<string, string>, kept) => {
    const { tokens } = await fullFlow({ scope: 'openid offline_access', ...prompt });
    const stored = (await t.current.app.provider.AccessToken.find(tokens.access_token))!;
    expect({
      refreshToken: typeof tokens.refresh_token, scope: tokens.scope, expiresWithSession: stored.expiresWithSession,
    }).toEqual(kept
      ? { refreshToken: 'string', scope: 'openid offline_access', expiresWithSession: undefined }
      : { refreshToken: 'undefined', scope: 'openid', expiresWithSession: true });
  });
});

describe('errors', () => {
  it('never redirects to an unregistered redirect URI: an error page instead (RFC 6749 §4.1.2.1)', async () => {
    const browser = new FormBrowser(['https://evil.example.com']);
    const flow = await authorize(browser, { redirect_uri: 'https://evil.example.com/cb' });
    expect(flow.page.status).toBe(400);
    expect(flow.page.url.startsWith(t.current.url)).toBe(true);
    expect(flow.page.html).toContain('redirect_uri');
    expect(flow.page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  });

  it.each([
    ['no PKCE at all', { code_challenge: '', code_challenge_method: '' }],
    ['the plain PKCE method', { code_challenge_method: 'plain' }],
  ])('refuses %s with invalid_request at the redirect URI', async (_case, params) => {
    const browser = new FormBrowser([REDIRECT]);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = new URL(`${t.current.issuer}/auth`);
    const query: Record<string, string> = {
      client_id: client.id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 's1', code_challenge: verifier,
    };
    Object.assign(query, { code_challenge_method: 'S256' }, params);
    for (const [key, value] of Object.entries(query)) if (value) url.searchParams.set(key, value);
    const page = await browser.open(url.href);
    const returned = new URL(page.url).searchParams;
    expect({ error: returned.get('error'), state: returned.get('state') }).toEqual({ error: 'invalid_request', state: 's1' });
  });

  it('refuses a reused code, and revokes what its first use issued', async () => {
    const { flow, redirected, tokens } = await fullFlow();
    expect(await oauthError(exchange(flow, redirected))).toMatchObject({ error: 'invalid_grant' });
    expect((await graphql(t.current.url, '{ viewer { id } }', {}, tokens.access_token)).status).toBe(401);
  });

  it('refuses a reused refresh token, and revokes the whole grant', async () => {
    const { tokens } = await fullFlow({ scope: 'openid offline_access', prompt: 'consent' });
    const next = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(await oauthError(oidc.refreshTokenGrant(config, tokens.refresh_token!))).toMatchObject({ error: 'invalid_grant' });
    expect(await oauthError(oidc.refreshTokenGrant(config, next.refresh_token!))).toMatchObject({ error: 'invalid_grant' });
    expect((await graphql(t.current.url, '{ viewer { id } }', {}, next.access_token)).status).toBe(401);
  });

  it('refuses a wrong client secret at the token endpoint', async () => {
    const browser = new FormBrowser([REDIRECT]);
    const flow = await authorize(browser);
    const redirected = await decide(browser, await signIn(browser, flow.page, await createUser(t.current)), 'allow');
    const wrong = await clientConfig(t.current, { id: client.id, secret: 'acs_not-the-secret' });
    expect(await oauthError(exchange(flow, redirected, wrong))).toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('does not sign in a user who is not active, with the same message as a wrong password', async () => {
    const inactive = await createUser(t.current);
    await setActive(t.current, inactive.user, false);
    const browser = new FormBrowser([REDIRECT]);
    const flow = await authorize(browser);
    const page = await signIn(browser, flow.page, inactive);
    expect(page.status).toBe(401);
    expect(page.html).toContain('The username, email or password is not right.');
  });

  it('refuses a client without the Authorization Code grant with unauthorized_client', async () => {
    const passwordOnly = await createClient(t.current, [AuthClientGrant.PASSWORD]);
    const browser = new FormBrowser([REDIRECT]);
    const flow = await authorize(browser, {}, await clientConfig(t.current, passwordOnly));
    expect(flow.page.html + flow.page.url).toContain('unauthorized_client');
  });

  it('lets a client introspect and revoke only its own tokens', async () => {
    const { tokens } = await fullFlow();
    const otherClient = await createClient(t.current, [AuthClientGrant.AUTHORIZATION_CODE], [REDIRECT]);
    const other = await clientConfig(t.current, otherClient);
    expect(await oidc.tokenIntrospection(other, tokens.access_token)).toEqual({ active: false });
    expect(await oauthError(oidc.tokenRevocation(other, tokens.access_token))).toMatchObject({ error: 'invalid_request' });
    expect((await graphql(t.current.url, '{ viewer { id } }', {}, tokens.access_token)).status).toBe(200);
  });

  it('refuses a form posted without its CSRF token, or with another interaction\'s', async () => {
    const browser = new FormBrowser([REDIRECT]);
    const flow = await authorize(browser);
    const other = await authorize(new FormBrowser([REDIRECT]));
    const otherCsrf = /name="csrf" value="([^"]+)"/.exec(other.page.html)![1]!;
    for (const csrf of ['', otherCsrf]) {
      const page = await browser.submit(flow.page, /\/login$/, { login: user.username, password: user.password, csrf });
      expect(page.status).toBe(403);
      expect(page.html).toContain('Request refused');
    }
  });

  it('shows "This sign-in has expired" (400, no stack) for an unknown, an expired or another browser\'s sign-in page', async () => {
    const expectExpiredPage = (page: Page) => {
      expect({ status: page.status, title: /<h1>([^<]*)<\/h1>/.exec(page.html)?.[1] }).toEqual({ status: 400, title: 'This sign-in has expired' });
      expect(page.html).not.toMatch(/\n\s+at |node_modules|Error/);
      expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    };
    const browser = new FormBrowser([REDIRECT]);
    expectExpiredPage(await browser.open(`${t.current.url}/oidc/interaction/no-such-sign-in`));

    // This browser's own interaction cookie, good on its own page, sent to another browser's sign-in page.
    const mine = await authorize(browser);
    const theirs = await authorize(new FormBrowser([REDIRECT]));
    const cookie = await browser.jar.getCookieString(mine.page.url);
    expect((await fetch(mine.page.url, { headers: { cookie } })).status).toBe(200);
    const response = await fetch(theirs.page.url, { headers: { cookie } });
    expectExpiredPage({ url: theirs.page.url, status: response.status, headers: response.headers, html: await response.text() });

    // The interaction row expired (a sign-in left open longer than an hour).
    const uid = new URL(mine.page.url).pathname.split('/').pop()!;
    await changeInSql(t.current, "update oidc_payloads set expires_at = now() - interval '1 second' where model = 'Interaction' and id = ?", [storedId(uid)]);
    expectExpiredPage(await browser.open(mine.page.url));
  });
});
