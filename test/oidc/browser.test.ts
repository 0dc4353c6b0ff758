// A person signing in with a real browser: headless Chromium fills the labelled fields, clicks Sign in, then Allow,
// and lands on the client's redirect URI with a code. Runs where Debian's chromium is installed (.ci/run installs it;
// REQUIRE_BROWSER=1 makes its absence a failure rather than a skip).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import { createClient, createUser } from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { clientConfig, oidc } from '../helpers/oauth.js';

const CHROMIUM = '/usr/bin/chromium';
const REDIRECT = 'https://app.example.com/callback';
const available = existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);

const t = useTestApp();
let browser: Browser | undefined;

beforeAll(async () => {
  if (!available) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
});

(available ? it : it.skip)('signs in and allows with the labelled form, and the redirect carries a code', async () => {
  const client = await createClient(t.current, [AuthClientGrant.AUTHORIZATION_CODE], [REDIRECT]);
  const user = await createUser(t.current);
  const config = await clientConfig(t.current, client);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state,
  });

  const context = await browser!.newContext();
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => { if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text()); });
  // The client's redirect URI is not served here: answer it in the browser and note where it went.
  let landed: URL | undefined;
  await page.route(`${REDIRECT}**`, async (route) => {
    landed = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>back at the client</p>' });
  });

  await page.goto(url.href);
  await page.getByLabel('Username or email').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${REDIRECT}**`);

  expect(landed?.searchParams.get('state')).toBe(state);
  expect(landed?.searchParams.get('code')).toEqual(expect.any(String));
  expect(violations).toEqual([]);

  const tokens = await oidc.authorizationCodeGrant(config, landed!, { pkceCodeVerifier: verifier, expectedState: state });
  const viewer = await graphql<{ viewer: { username: string } }>(t.current.url, '{ viewer { username } }', {}, tokens.access_token);
  expect(viewer.data?.viewer.username).toBe(user.username);
  await context.close();
});
