// A code or refresh token is good for one use, even when twenty requests present it at once: one wins, the others get
// invalid_grant, and the reuse revokes the grant (RFC 9700 §4.14.2), so not even the winner keeps working tokens.
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { startApp, useTestApp, type TestApp } from '../helpers/app.js';
import { FormBrowser } from '../helpers/browser.js';
import { createClient, createUser, type TestClient } from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import {
  clientConfig, oauthError, oidc, passwordGrant,
} from '../helpers/oauth.js';
import { serverUrl } from '../helpers/storage.js';

const REDIRECT = 'https://app.example.com/callback';
const CONCURRENT = 20;
const t = useTestApp();
let client: TestClient;

beforeAll(async () => {
  client = await createClient(t.current, [AuthClientGrant.PASSWORD, AuthClientGrant.AUTHORIZATION_CODE], [REDIRECT]);
});

interface TokenAnswer {
  status: number;
  body: { access_token?: string; refresh_token?: string; error?: string };
}

/** A raw token request, so that all of a race's requests leave at once. */
async function tokenRequest(app: TestApp, params: Record<string, string>): Promise<TokenAnswer> {
  const credentials = Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64');
  const response = await fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: await response.json() as TokenAnswer['body'] };
}

/**
 * Sends the same token request CONCURRENT times at once, spread over `instances`; returns the one answer that issued
 * tokens. The same request with an unknown code or token goes first: it opens the connections and warms the token
 * endpoint, so the real requests arrive together rather than one connection set-up apart.
 */
async function race(instances: TestApp[], params: Record<string, string>): Promise<TokenAnswer['body']> {
  const send = (each: Record<string, string>) => Promise.all(Array.from({ length: CONCURRENT }, (_, i) => tokenRequest(instances[i % instances.length]!, each)));
  const unknown = Object.fromEntries(Object.entries(params).map(([name, value]) => [name, name === 'code' || name === 'refresh_token' ? 'unknown' : value]));
  await send(unknown);
  const answers = await send(params);
  const issued = answers.filter((answer) => answer.status === 200);
  const refused = answers.filter((answer) => answer.status !== 200).map(({ status, body }) => `${status} ${body.error}`);
  expect({ issued: issued.length, refused }).toEqual({ issued: 1, refused: Array(CONCURRENT - 1).fill('400 invalid_grant') });
  const [winner] = issued;
  expect(winner!.body).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) });
  return winner!.body;
}

const userinfoStatus = async (app: TestApp, accessToken: string) => (await fetch(`${app.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

/** Every instance refuses these tokens: introspection says inactive, userinfo 401, a refresh invalid_grant. */
async function expectRevoked(instances: TestApp[], tokens: { accessTokens: string[]; refreshTokens: string[] }): Promise<void> {
  for (const app of instances) {
    const config = await clientConfig(app, client);
    for (const accessToken of tokens.accessTokens) {
      expect(await oidc.tokenIntrospection(config, accessToken)).toEqual({ active: false });
      expect(await userinfoStatus(app, accessToken)).toBe(401);
      // The one token check finds no grant behind it, even for a token the winner wrote after the grant was revoked.
      expect((await graphql(app.url, '{ viewer { id } }', {}, accessToken)).status).toBe(401);
    }
    for (const refreshToken of tokens.refreshTokens) {
      expect(await oidc.tokenIntrospection(config, refreshToken)).toEqual({ active: false });
    }
  }
  // A refresh that wrongly succeeded would issue new tokens, so these come last.
  for (const refreshToken of tokens.refreshTokens) {
    expect(await oauthError(oidc.refreshTokenGrant(await clientConfig(instances[0]!, client), refreshToken))).toMatchObject({ error: 'invalid_grant' });
  }
}

/** A fresh user signs in through a browser and allows offline access: an authorization code and its PKCE verifier. */
async function authorizationCode(): Promise<{ code: string; verifier: string }> {
  const user = await createUser(t.current);
  const browser = new FormBrowser([REDIRECT]);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(await clientConfig(t.current, client), {
    redirect_uri: REDIRECT,
    scope: 'openid offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: oidc.randomState(),
  });
  const signIn = await browser.open(url.href);
  const consent = await browser.submit(signIn, /\/login$/, { login: user.username, password: user.password });
  const redirected = await browser.submit(consent, /\/consent$/, { decision: 'allow' });
  const code = new URL(redirected.url).searchParams.get('code');
  expect(code).toEqual(expect.any(String));
  return { code: code!, verifier };
}

function races(instancesUnderTest: () => TestApp[]) {
  it(`lets exactly one of ${CONCURRENT} concurrent refreshes with one refresh token through, then revokes the whole grant`, async () => {
    const instances = instancesUnderTest();
    const user = await createUser(t.current);
    const first = await passwordGrant(t.current, client, user, 'openid offline_access');
    const config = await clientConfig(t.current, client);
    // Good before the race, everywhere we look afterwards; /graphql now remembers the access token (oidc/token-cache.ts).
    expect(await oidc.tokenIntrospection(config, first.refresh_token!)).toMatchObject({ active: true });
    expect(await oidc.tokenIntrospection(config, first.access_token)).toMatchObject({ active: true });
    expect(await userinfoStatus(t.current, first.access_token)).toBe(200);
    for (const app of instances) expect((await graphql(app.url, '{ viewer { id } }', {}, first.access_token)).status).toBe(200);

    const winner = await race(instances, { grant_type: 'refresh_token', refresh_token: first.refresh_token! });

    // The refused reuse answered only once its instance had heard the revocation, so /graphql there has forgotten the
    // token already. Another instance hears it a moment later (test/oidc/token-check.test.ts covers that wait).
    if (instances.length > 1) await Promise.all(instances.map((app) => app.app.changes.sync()));
    for (const app of instances) expect((await graphql(app.url, '{ viewer { id } }', {}, first.access_token)).status).toBe(401);
    await expectRevoked(instances, {
      accessTokens: [first.access_token, winner.access_token!],
      refreshTokens: [first.refresh_token!, winner.refresh_token!],
    });
  });

  it(`lets exactly one of ${CONCURRENT} concurrent exchanges of one authorization code through, then revokes what it issued`, async () => {
    const instances = instancesUnderTest();
    const { code, verifier } = await authorizationCode();

    const winner = await race(instances, {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier,
    });

    await expectRevoked(instances, { accessTokens: [winner.access_token!], refreshTokens: [winner.refresh_token!] });
  });
}

describe('on one instance', () => {
  races(() => [t.current]);
});

(serverUrl ? describe : describe.skip)('on two instances sharing one PostgreSQL server, the requests split between them', () => {
  let other: TestApp | undefined;
  beforeAll(async () => { other = await startApp(t.current.storage); });
  afterAll(async () => { await other?.stop(); });
  races(() => [t.current, other!]);
});
