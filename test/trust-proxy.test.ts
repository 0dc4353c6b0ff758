// TRUST_PROXY: which proxies the service believes about the client's scheme and address (X-Forwarded-*), as Express's
// `trust proxy` does: every hop, a hop count, or a list of proxy addresses. The sign-in cookies show what was believed:
// they are Secure only when the request is taken to have come over https. The URLs the service prints come from
// PUBLIC_URL alone, whatever Host or X-Forwarded-Host say, with or without a trusted proxy.
import { request as httpRequest } from 'node:http';
import { parseConfig } from '../src/config.js';
import { AuthClientGrant } from '../src/auth-clients/auth-client.entity.js';
import { startApp, type TestApp } from './helpers/app.js';
import { createClient, createUser } from './helpers/fixtures.js';
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

interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A request with the Host header given (fetch would replace it with the address it connects to). */
function rawRequest(app: TestApp, path: string, options: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {}): Promise<RawResponse> {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port: app.config.port,
      path,
      method: options.method ?? 'GET',
      headers: { ...options.headers, ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('every URL the service prints comes from PUBLIC_URL, never from Host or X-Forwarded-Host', () => {
  const PUBLIC_URL = 'https://auth.example.com';
  const forged = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };

  const urlsIn = (value: unknown): string[] => (typeof value === 'string' ? (/^[a-z]+:\/\//i.test(value) ? [value] : [])
    : Array.isArray(value) ? value.flatMap(urlsIn) : value && typeof value === 'object' ? Object.values(value).flatMap(urlsIn) : []);

  it.each([
    ['off', undefined],
    ['on (every hop)', 'true'],
  ])('with TRUST_PROXY %s: discovery, the sign-in redirects, their cookies and the sign-out page', async (_case, trustProxy) => {
    const app = await startApp(storage, { PUBLIC_URL, ...(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }) });
    try {
      const discovery = await rawRequest(app, '/oidc/.well-known/openid-configuration', { headers: forged });
      expect(discovery.status).toBe(200);
      const urls = urlsIn(JSON.parse(discovery.body));
      expect(urls.length).toBeGreaterThan(5);
      for (const url of urls) expect(url).toMatch(/^https:\/\/auth\.example\.com\/oidc(\/|$)/);
      expect(discovery.body).not.toContain('evil.example');

      const user = await createUser(app);
      const { authClient } = await app.app.services.authClients.create({
        name: `Forged host ${trustProxy}`, grants: [AuthClientGrant.AUTHORIZATION_CODE], redirectUris: [REDIRECT], skipConsent: true,
      });
      const verifier = oidc.randomPKCECodeVerifier();
      const query = new URLSearchParams({
        client_id: authClient.id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      });
      const started = await rawRequest(app, `/oidc/auth?${query.toString()}`, { headers: forged });
      expect(started.status).toBe(303);
      expect(started.headers.location).toMatch(/^https:\/\/auth\.example\.com\/oidc\/interaction\/[\w-]+$/);
      const cookies = [started.headers['set-cookie'] ?? []].flat();
      expect(cookies.length).toBeGreaterThan(0);
      for (const cookie of cookies) {
        expect(cookie).not.toMatch(/domain=/i);
        // TRUST_PROXY still decides whether the forwarded https counts.
        expect(/;\s*secure/i.test(cookie)).toBe(trustProxy !== undefined);
      }
      const cookie = cookies.map((line) => line.split(';')[0]).join('; ');
      const interactionPath = new URL(started.headers.location as string).pathname;
      const page = await rawRequest(app, interactionPath, { headers: { ...forged, cookie } });
      expect(page.status).toBe(200);
      expect(page.body).not.toContain('evil.example');
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
      const signedIn = await rawRequest(app, `${interactionPath}/login`, {
        method: 'POST', headers: { ...forged, cookie }, form: { csrf: csrf!, login: user.username, password: user.password },
      });
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.location).toMatch(/^https:\/\/auth\.example\.com\/oidc\/auth\/[\w-]+$/);

      const signOut = await rawRequest(app, '/oidc/session/end', { headers: forged });
      expect(signOut.status).toBe(200);
      expect(signOut.body).not.toContain('evil.example');
      expect(signOut.body).toMatch(/action="https:\/\/auth\.example\.com\/oidc\/session\/end\/confirm"/);
    } finally {
      await app.stop();
    }
  });
});
