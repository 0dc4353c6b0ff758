// The product description's walk through the "Auth Clients" page, as a person in a real browser: create a client
// and use its secret, the refusals, and edit, rotate, disable, revoke and delete; checked with axe-core.
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { createClient, createGroup, createUser } from '../helpers/fixtures.js';
import { clientConfig, oidc } from '../helpers/oauth.js';
import {
  axeViolations, browserIt, newPage, screenshot, signInToConsole, tabTo, useBrowserApp,
} from '../helpers/browser-app.js';

const b = useBrowserApp();
const REDIRECT = 'https://app.example.com/callback';

browserIt('creates an auth client as the product description walks it, and its secret works at /oidc/token', async () => {
  const user = await createUser(b.app);
  await createGroup(b.app, ['view-auth_clients', 'create-auth_clients'], [user]);
  const {
    context, page, errors, blocked,
  } = await newPage(b);
  await signInToConsole(b, page, user);

  // With the keyboard only, up to Save.
  const { keyboard } = page;
  await tabTo(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Auth Clients' }));
  await keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Auth Clients', level: 1 }).waitFor();
  await tabTo(page, page.getByRole('button', { name: '+ Auth Client' }));
  await keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Create An Auth Client' });
  await dialog.waitFor();
  expect(await dialog.getByLabel('Redirect URL', { exact: true }).count()).toBe(0);
  await tabTo(page, dialog.getByLabel('Enable Authorization Code Grant'));
  await keyboard.press('Space');
  await expect(dialog.getByLabel('Redirect URL', { exact: true }).isVisible()).resolves.toBe(true);
  expect(await axeViolations(page)).toEqual([]);
  await screenshot(page, 'create-auth-client');

  const name = `Walk ${Date.now()}`;
  await tabTo(page, dialog.getByLabel('Name'));
  await keyboard.type(name);
  await tabTo(page, dialog.getByLabel('Redirect URL', { exact: true }));
  await keyboard.type(REDIRECT);
  await tabTo(page, dialog.getByRole('button', { name: 'Save' }));
  await keyboard.press('Enter');

  const created = page.getByRole('dialog', { name: 'Auth client created' });
  await created.getByText("won't be shown again").waitFor();
  const clientId = await created.getByLabel('Client ID').inputValue();
  const secret = await created.getByLabel('Client secret').inputValue();
  expect(secret.length).toBeGreaterThan(20);
  await created.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('row', { name: new RegExp(name) }).waitFor();
  await expect(page.getByRole('row', { name: new RegExp(name) }).textContent()).resolves.toContain(REDIRECT);
  expect(await axeViolations(page)).toEqual([]);
  await screenshot(page, 'auth-clients');

  // The secret, with openid-client: an Authorization Code flow in the same browser (the person is signed in).
  const config = await clientConfig(b.app, { id: clientId, secret });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state,
  });
  let landed: URL | undefined;
  await page.route(`${REDIRECT}**`, async (route) => {
    landed = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>back at the client</p>' });
  });
  await page.goto(url.href);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${REDIRECT}**`);
  const tokens = await oidc.authorizationCodeGrant(config, landed!, { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.access_token).toEqual(expect.any(String));

  expect(errors).toEqual([]);
  expect(blocked).toEqual([]);
  await context.close();
});

browserIt('refuses a duplicate name beside "Name", keeping the form, and shows no "+ Auth Client" to a view-only user', async () => {
  const creator = await createUser(b.app, { permissions: ['view-auth_clients', 'create-auth_clients'] });
  const taken = `Taken ${Date.now()}`;
  await b.app.app.services.authClients.create({
    name: taken, grants: [AuthClientGrant.PASSWORD], redirectUris: [], scopes: [],
  });
  const first = await newPage(b);
  await signInToConsole(b, first.page, creator, '/console/auth-clients');
  await first.page.getByRole('button', { name: '+ Auth Client' }).click();
  const dialog = first.page.getByRole('dialog', { name: 'Create An Auth Client' });
  await dialog.getByLabel('Name').fill(` ${taken.toUpperCase()} `);
  await dialog.getByLabel('Enable Password Grant').check();
  await dialog.getByRole('button', { name: 'Save' }).click();

  const nameInput = dialog.getByLabel('Name');
  await dialog.locator('[aria-invalid="true"]').first().waitFor();
  expect(await nameInput.getAttribute('aria-invalid')).toBe('true');
  const describedBy = (await nameInput.getAttribute('aria-describedby'))?.split(' ') ?? [];
  const described = (await Promise.all(describedBy.map((id) => dialog.locator(`[id="${id}"]`).textContent()))).join(' ');
  expect(described).toMatch(/exists|taken|already/i);
  await expect(dialog.getByRole('alert').textContent()).resolves.toMatch(/^Name: /);
  // Nothing lost.
  await expect(nameInput.inputValue()).resolves.toBe(` ${taken.toUpperCase()} `);
  await expect(dialog.getByLabel('Enable Password Grant').isChecked()).resolves.toBe(true);
  // Corrected, as a public client: saved, with no secret to show.
  const publicName = `Public ${Date.now()}`;
  await nameInput.fill(publicName);
  await dialog.getByLabel('Enable Password Grant').uncheck();
  await dialog.getByLabel('Enable Authorization Code Grant').check();
  await dialog.getByLabel('Redirect URL', { exact: true }).fill('https://spa.example.com/callback');
  await dialog.getByLabel('Public client (no secret)').check();
  await dialog.getByRole('button', { name: 'Save' }).click();
  const created = first.page.getByRole('dialog', { name: 'Auth client created' });
  await created.getByText('This public client has no secret').waitFor();
  expect(await created.getByLabel('Client secret').count()).toBe(0);
  const publicId = await created.getByLabel('Client ID').inputValue();
  expect((await b.app.app.services.authClients.findById(publicId))?.confidential).toBe(false);
  expect(first.errors).toEqual([]);
  await first.context.close();

  const viewer = await createUser(b.app, { permissions: ['view-auth_clients'] });
  const second = await newPage(b);
  await signInToConsole(b, second.page, viewer, '/console/auth-clients');
  await second.page.getByRole('row', { name: new RegExp(taken) }).waitFor();
  expect(await second.page.getByRole('button', { name: '+ Auth Client' }).count()).toBe(0);
  expect(await second.page.getByRole('link', { name: /^Edit/ }).count()).toBe(0);
  expect(await second.page.getByRole('button', { name: /^Delete/ }).count()).toBe(0);

  // Search and paging are the server's: 21 matches are a page of 20 and a page of 1.
  const prefix = `Paged ${Date.now()}`;
  for (let n = 10; n < 31; n += 1) {
    await b.app.app.services.authClients.create({
      name: `${prefix} ${n}`, grants: [AuthClientGrant.PASSWORD], redirectUris: [], scopes: [],
    });
  }
  const { page } = second;
  await page.getByRole('search').getByLabel('Search').fill(prefix.toLowerCase());
  await page.getByText('Page 1 · 21 in all').waitFor();
  expect(await page.getByRole('row', { name: new RegExp(prefix) }).count()).toBe(20);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('Page 2 · 21 in all').waitFor();
  expect(await page.getByRole('row', { name: new RegExp(prefix) }).allTextContents()).toEqual([expect.stringContaining(`${prefix} 30`)]);
  await page.getByRole('button', { name: 'Previous' }).click();
  await page.getByText('Page 1 · 21 in all').waitFor();
  await page.getByRole('search').getByLabel('Search').fill(`${prefix} none`);
  await page.getByText(`No auth client matches "${prefix} none".`).waitFor();
  expect(second.errors).toEqual([]);
  await second.context.close();
});

browserIt('edits, rotates the secret, disables, revokes and deletes an auth client, confirming by its name', async () => {
  const admin = await createUser(b.app, {
    permissions: ['view-auth_clients', 'create-auth_clients', 'edit-auth_clients', 'delete-auth_clients'],
  });
  const client = await createClient(b.app, [AuthClientGrant.PASSWORD], [], []);
  const name = (await b.app.app.services.authClients.findById(client.id))!.name;
  const { context, page, errors } = await newPage(b, { viewport: { width: 390, height: 844 } });
  await signInToConsole(b, page, admin, '/console/auth-clients');

  await page.getByRole('search').getByLabel('Search').fill(name);
  await page.getByRole('row', { name: new RegExp(name) }).getByRole('link', { name: /^Edit/ }).click();
  await page.getByRole('heading', { name: 'Edit Auth Client' }).waitFor();

  const renamed = `${name}-renamed`;
  await page.getByLabel('Name').fill(renamed);
  await page.getByLabel('Enable Personal Access Tokens').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  const updated = await b.app.app.services.authClients.findById(client.id);
  expect(updated?.name).toBe(renamed);
  expect(updated?.grants).toEqual(expect.arrayContaining([AuthClientGrant.PASSWORD, AuthClientGrant.PERSONAL_ACCESS]));

  // Rotation: the new secret shown once works; the old one stops at once when told so.
  await page.getByLabel('The old secret keeps working for').selectOption({ label: 'Stops now' });
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  const rotated = await page.getByLabel('New client secret').inputValue();
  await screenshot(page, 'edit-auth-client-phone');
  const user = await createUser(b.app);
  const grant = (secret: string) => clientConfig(b.app, { id: client.id, secret })
    .then((config) => oidc.genericGrantRequest(config, 'password', { username: user.username, password: user.password, scope: 'openid' }));
  await expect(grant(rotated)).resolves.toHaveProperty('access_token');
  await expect(grant(client.secret)).rejects.toThrow();

  await page.getByRole('button', { name: 'Disable' }).click();
  await page.getByRole('button', { name: 'Enable' }).waitFor();
  await expect(grant(rotated)).rejects.toThrow();
  await page.getByRole('button', { name: 'Enable' }).click();
  await page.getByRole('button', { name: 'Disable' }).waitFor();

  await page.getByRole('button', { name: 'Revoke all tokens' }).click();
  const revoke = page.getByRole('dialog', { name: 'Revoke all tokens' });
  await expect(revoke.getByRole('button', { name: 'Revoke all tokens' }).isDisabled()).resolves.toBe(true);
  await revoke.getByLabel(`Type "${renamed}" to confirm`).fill(renamed);
  await revoke.getByRole('button', { name: 'Revoke all tokens' }).click();
  await page.getByText(/^Revoked \d+ tokens/).waitFor();

  await page.getByRole('button', { name: 'Delete' }).click();
  const remove = page.getByRole('dialog', { name: 'Delete auth client' });
  await remove.getByLabel(`Type "${renamed}" to confirm`).fill(name);
  await expect(remove.getByRole('button', { name: 'Delete' }).isDisabled()).resolves.toBe(true);
  await remove.getByLabel(`Type "${renamed}" to confirm`).fill(renamed);
  await remove.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { name: 'Auth Clients', level: 1 }).waitFor();
  expect(await b.app.app.services.authClients.findById(client.id)).toBeNull();
  expect(errors).toEqual([]);
  await context.close();
});
