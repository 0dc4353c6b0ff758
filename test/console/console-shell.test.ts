// The console's shell in a real browser: served offline under its CSP, sign-in through our own provider with tokens
// in memory only, a silent sign-in on reload, "Sign out" ending the provider session, and navigation by permission.
import { createUser } from '../helpers/fixtures.js';
import {
  browserIt, enterCredentials, newPage, screenshot, signInToConsole, useBrowserApp,
} from '../helpers/browser-app.js';

const b = useBrowserApp();

it('redirects / to /console, serves index.html for client routes and config.json, each under the CSP', async () => {
  const root = await fetch(`${b.app.url}/`, { redirect: 'manual' });
  expect(root.status).toBe(302);
  expect(root.headers.get('location')).toBe(`${b.app.url}/console`);

  const page = await fetch(`${b.app.url}/console/auth-clients/some/where`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.headers.get('cache-control')).toBe('no-cache');
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  const html = await page.text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
  expect(html).not.toMatch(/https?:\/\//);
  const script = /src="([^"]+\.js)"/.exec(html)?.[1];
  expect(script).toMatch(/^\/console\/assets\/main-\w+\.js$/);
  const asset = await fetch(`${b.app.url}${script}`);
  expect(asset.status).toBe(200);
  expect(asset.headers.get('cache-control')).toContain('immutable');
  expect((await fetch(`${b.app.url}/console/assets/main-GONE.js`)).status).toBe(404);

  const config = await fetch(`${b.app.url}/console/config.json`);
  expect(config.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(await config.json()).toEqual({
    issuer: b.app.issuer,
    clientId: b.app.app.adminConsole.clientId,
    graphqlUrl: `${b.app.url}/graphql`,
    scope: expect.stringMatching(/^openid profile email .*auth_clients:read/),
    redirectUri: `${b.app.url}/console/callback`,
  });
});

browserIt('offline, signs in through the provider, keeps tokens out of storage, signs in again silently on reload, and signs out', async () => {
  const user = await createUser(b.app, { permissions: ['view-auth_clients'] });
  const {
    context, page, errors, blocked,
  } = await newPage(b);
  const tokens: string[] = [];
  page.on('response', (response) => {
    if (response.url().endsWith('/oidc/token') && response.ok()) {
      void response.json().then((body: { access_token: string; id_token: string }) => { tokens.push(body.access_token, body.id_token); });
    }
  });
  const navigations: string[] = [];
  page.on('request', (request) => { if (request.isNavigationRequest()) navigations.push(request.url()); });

  await page.goto(`${b.app.url}/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await enterCredentials(page, user);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByRole('heading', { name: 'Auth Clients', level: 1 }).waitFor();
  expect(page.url()).toBe(`${b.app.url}/console/auth-clients`);
  await expect(page.getByRole('banner').getByText(user.username).isVisible()).resolves.toBe(true);
  expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Auth Clients', 'My Tokens']);

  // Tokens only in memory.
  expect(tokens).toHaveLength(2);
  const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
  for (const token of tokens) expect(stored).not.toContain(token);

  // A reload: the provider's session signs the console in again, without the sign-in form.
  navigations.length = 0;
  await page.reload();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  expect(page.url()).toBe(`${b.app.url}/console/auth-clients`);
  expect(navigations.some((url) => url.includes('/oidc/interaction/'))).toBe(false);
  expect(navigations.some((url) => url.includes('prompt=none'))).toBe(true);

  // Sign out ends the provider's session: a reload then needs the password.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.getByText('You are signed out.').waitFor();
  await screenshot(page, 'signed-out');
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Username or email').waitFor();
  expect(page.url()).toContain('/oidc/interaction/');

  expect(errors).toEqual([]);
  expect(blocked).toEqual([]);
  await context.close();
});

browserIt('shows a person without the permission which one they need, and no page they may not use', async () => {
  const user = await createUser(b.app);
  const { context, page, errors } = await newPage(b, { viewport: { width: 375, height: 740 } });
  await signInToConsole(b, page, user, '/console/auth-clients');
  await page.getByText('ask your Administrator').waitFor();
  await expect(page.getByRole('main').textContent()).resolves.toContain('View Auth Clients');
  // My Tokens is every signed-in person's own (personal access tokens need no permission).
  expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['My Tokens']);
  await screenshot(page, 'no-permission-phone');
  expect(errors).toEqual([]);
  await context.close();
});
