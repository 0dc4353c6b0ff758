// GraphiQL at GET /graphql, in headless Chromium with every other origin blocked: it loads from the service alone,
// signs in through the console's flow, sends the bearer token (so the docs work where anonymous introspection is
// refused), signs in again silently on a reload, and signs out; the API's own GET and POST answers are unchanged.
import { type Page } from 'playwright-core';
import {
  browserIt, enterCredentials, newPage, screenshot, useBrowserApp, type BrowserPage,
} from '../helpers/browser-app.js';
import { createUser } from '../helpers/fixtures.js';

// Production: anonymous introspection is refused, so the docs can only come with the signed-in user's token.
const b = useBrowserApp({ NODE_ENV: 'production' });

/** The bearer tokens GraphiQL's POSTs to /graphql carried, in order (none: anonymous). */
function bearers(page: Page): Array<string | undefined> {
  const seen: Array<string | undefined> = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/graphql') {
      seen.push(/^Bearer (.+)$/.exec(request.headers().authorization ?? '')?.[1]);
    }
  });
  return seen;
}

async function runQuery(page: Page, query: string): Promise<string> {
  // Monaco's editor: select all, then type over it (its own autocompletion would add brackets).
  const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(query);
  await page.getByRole('button', { name: /Execute query/ }).click();
  const response = page.locator('.graphiql-response .monaco-editor').first();
  await response.filter({ hasText: /"(data|errors)"/ }).waitFor();
  // Monaco lays text out with non-breaking spaces.
  return (await response.innerText()).replace(/\s+/g, ' ');
}

describe('GET /graphql for scripts and POST /graphql', () => {
  it('answers a GET query as JSON, as before, and a browser GET with the playground page under the CSP', async () => {
    const get = await fetch(`${b.app.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });

    const post = await fetch(`${b.app.url}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await post.json()).toEqual({ data: { __typename: 'Query' } });

    const html = await fetch(`${b.app.url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = html.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(await html.text()).not.toMatch(/<script(?![^>]*\bsrc=)/);
  });
});

describe('GraphiQL in a browser', () => {
  let tab: BrowserPage;
  afterAll(async () => { await tab?.context.close(); });

  browserIt('loads from the service alone, signs in, runs a query with the bearer token, shows the docs, and signs out', async () => {
    const user = await createUser(b.app, { permissions: ['view-auth_clients'] });
    tab = await newPage(b);
    const { page } = tab;
    const sent = bearers(page);

    await page.goto(`${b.app.url}/graphql`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Until now GraphiQL asked anonymously (and was refused the schema); from here on every request is signed in.
    await page.waitForURL(/\/oidc\//);
    sent.length = 0;
    await enterCredentials(page, user);
    await page.getByText(`Signed in as ${user.username}`).waitFor();
    expect(new URL(page.url()).pathname).toBe('/graphql');

    const answer = await runQuery(page, '{ viewer { username } }');
    expect(answer).toContain(`"username": "${user.username}"`);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((token) => typeof token === 'string' && token.length > 0)).toBe(true);

    // The schema came through introspection with the token: anonymous introspection is refused here.
    await page.getByRole('button', { name: /Documentation Explorer/ }).click();
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).click();
    await page.locator('.graphiql-doc-explorer').getByText('authClients', { exact: true }).first().waitFor();
    await screenshot(page, 'playground');

    // A reload signs in again silently, through the provider's session (the token was in memory only).
    await page.reload();
    await page.getByText(`Signed in as ${user.username}`).waitFor();
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).not.toContain(sent[0]!);

    // Sign out ends the provider's session: signing in again asks for the password.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByText('Not signed in').waitFor();
    expect(new URL(page.url()).pathname).toBe('/graphql');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Username or email').waitFor();
    expect(tab.blocked).toEqual([]);
    expect(tab.errors).toEqual([]);
  });
});
