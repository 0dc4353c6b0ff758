// TRUST_PROXY: which proxies the service believes about the client's scheme and host (X-Forwarded-*), as Express's
// `trust proxy` does: every hop, a hop count, or a list of proxy addresses. The sign-in cookies show what was believed:
// they are Secure only when the request is taken to have come over https.
import { parseConfig } from '../src/config.js';
import { AuthClientGrant } from '../src/auth-clients/auth-client.entity.js';
import { startApp, type TestApp } from './helpers/app.js';
import { createClient } from './helpers/fixtures.js';
import { clientConfig, oidc } from './helpers/oauth.js';
import { createTestStorage, type TestStorage } from './helpers/storage.js';

const REDIRECT = 'https://app.example.com/cb';
let storage: TestStorage;

beforeAll(async () => {
  storage = await createTestStorage();
});
afterAll(() => storage.dispose());

/** Whether the cookies set when an authorization request starts are Secure, for a request forwarded as https. */
async function secureCookies(trustProxy: string | undefined): Promise<boolean> {
  const app: TestApp = await startApp(storage, trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy });
  try {
    const client = await createClient(app, [AuthClientGrant.AUTHORIZATION_CODE], [REDIRECT]);
    const url = oidc.buildAuthorizationUrl(await clientConfig(app, client), {
      redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    });
    const response = await fetch(url, { redirect: 'manual', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' } });
    expect(response.status).toBe(303);
    const cookies = response.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    return cookies.every((cookie) => /;\s*secure/i.test(cookie));
  } finally {
    await app.stop();
  }
}

it.each([
  ['not set', undefined, false],
  ['true (every hop)', 'true', true],
  ['a hop count', '1', true],
  ['the proxy\'s own address', '127.0.0.1', true],
  ['a range holding it', '127.0.0.0/8, 10.0.0.1', true],
  ['Express\'s name for it', 'loopback', true],
  ['another address only', '10.0.0.1', false],
  ['false', 'false', false],
])('believes X-Forwarded-Proto with TRUST_PROXY %s: %s', async (_case, value, secure) => {
  expect(await secureCookies(value)).toBe(secure);
});

it('parses the forms Express accepts, and nothing else', () => {
  const parse = (value: string) => parseConfig({ TRUST_PROXY: value }).trustProxy;
  expect(parse('TRUE')).toBe(true);
  expect(parse('0')).toBe(false);
  expect(parse('2')).toBe(2);
  expect(parse(' 10.0.0.1 , 2001:db8::/32,uniquelocal ')).toEqual(['10.0.0.1', '2001:db8::/32', 'uniquelocal']);
  expect(parse('10.0.0.0/255.0.0.0')).toEqual(['10.0.0.0/255.0.0.0']);
  for (const wrong of ['yes', '10.0.0.1/40', 'proxy.example.com', '10.0.0.1/8/8', ',']) {
    expect(() => parse(wrong)).toThrow(/TRUST_PROXY must be/);
  }
});
