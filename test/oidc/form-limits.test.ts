// Oversized form posts, to our sign-in and consent pages and to oidc-provider's own form endpoints: a short 4xx, never
// a 500, never an error-level log line.
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import type { Logger } from '../../src/shared/logger.js';
import { useTestApp } from '../helpers/app.js';
import { FormBrowser, findForm, type Page } from '../helpers/browser.js';
import { createClient, createUser, type TestClient } from '../helpers/fixtures.js';
import { openSignInPage } from '../helpers/oauth.js';

const REDIRECT = 'https://app.example.com/callback';
const errors: string[] = [];
const logger: Logger = { info: () => {}, error: (message, details) => { errors.push(`${message} ${JSON.stringify(details)}`); } };
const t = useTestApp({}, logger);
let client: TestClient;

beforeAll(async () => {
  client = await createClient(t.current, [AuthClientGrant.AUTHORIZATION_CODE, AuthClientGrant.PASSWORD], [REDIRECT]);
});
beforeEach(() => { errors.length = 0; });

const MEGABYTE = 1024 * 1024;
/** The bodies of the issue: 1 MB in one field, and 100 fields. */
const oversized = (fields: Record<string, string>): Array<[string, Record<string, string>]> => [
  ['a 1 MB body', { ...fields, filler: 'x'.repeat(MEGABYTE) }],
  ['100 fields', { ...fields, ...Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`field${i}`, 'x'])) }],
];

const signInPage = (browser: FormBrowser) => openSignInPage(browser, t.current, client, REDIRECT);

/** Posts `fields` as a browser would, with the browser's cookies; the status, and the page. */
async function post(browser: FormBrowser, action: string, fields: Record<string, string>): Promise<Page> {
  return browser.open(action, { method: 'POST', form: fields });
}

describe.each([['sign-in', /\/login$/], ['cancel', /\/abort$/]])('the %s form', (_name, action) => {
  it.each(oversized({}))('answers %s with 413, no error logged, and still works afterwards', async (_what, fields) => {
    const browser = new FormBrowser([REDIRECT]);
    const page = await signInPage(browser);
    const form = findForm(page, action);
    const answer = await post(browser, form.action, { ...form.fields, ...fields });
    expect(answer.status).toBe(413);
    expect(answer.html).toMatch(/The form sent was too large/);
    expect(answer.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(errors).toEqual([]);

    const user = await createUser(t.current);
    const next = await browser.submit(page, /\/login$/, { login: user.username, password: user.password });
    expect(next.html).toMatch(/\/consent"/);
  });
});

describe('the consent form', () => {
  it.each(oversized({ decision: 'allow' }))('answers %s with 413, no error logged', async (_what, fields) => {
    const browser = new FormBrowser([REDIRECT]);
    const user = await createUser(t.current);
    const consent = await browser.submit(await signInPage(browser), /\/login$/, { login: user.username, password: user.password });
    const form = findForm(consent, /\/consent$/);
    const answer = await post(browser, form.action, { ...form.fields, ...fields });
    expect(answer.status).toBe(413);
    expect(errors).toEqual([]);
    // The consent was not given: the page is still there to be answered.
    const allowed = await browser.submit(consent, /\/consent$/, { decision: 'allow' });
    expect(allowed.url).toMatch(/^https:\/\/app\.example\.com\/callback\?code=/);
  });
});

describe('oidc-provider\'s own form endpoints', () => {
  const basic = () => `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
  // oidc-provider reads at most 56 KiB of a body (a 400 beyond) and ignores parameters it does not know (RFC 6749
  // §3.1), so 100 fields get the ordinary answer. POST /auth and POST /session/end are not served at all
  // (enableHttpPostMethods is off): 404.
  const endpoints: Array<[string, () => Record<string, string>, Record<string, string>, number, number]> = [
    ['/token', () => ({ authorization: basic() }), { grant_type: 'password', username: 'someone', password: 'x' }, 400, 400],
    ['/token/introspection', () => ({ authorization: basic() }), { token: 'x' }, 400, 200],
    ['/token/revocation', () => ({ authorization: basic() }), { token: 'x' }, 400, 200],
    ['/session/end/confirm', () => ({}), { xsrf: 'x' }, 400, 400],
    ['/session/end', () => ({}), { client_id: 'x' }, 404, 404],
    ['/auth', () => ({}), { client_id: 'x', response_type: 'code' }, 404, 404],
  ];
  it.each(endpoints.flatMap(([path, headers, fields, ...statuses]) => oversized(fields).map(([what, body], i) => [path, what, headers, body, statuses[i]] as const)))(
    'POST %s with %s gets its ordinary 4xx or 200, never a 500, and no error logged',
    async (path, _what, headers, body, status) => {
      const response = await fetch(`${t.current.issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers() },
        body: new URLSearchParams(body),
        redirect: 'manual',
      });
      await response.arrayBuffer();
      expect(response.status).toBe(status);
      expect(errors).toEqual([]);
    },
  );
});
