// The console's people pages as an administrator walks them in a real browser: a permission ticked and saved (and
// then the user can do the thing), a group member added, the audit log showing those events, and a personal access
// token created (shown once), used at /graphql and revoked; navigation shows each page only to those who may use it.
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import {
  axeViolations, browserAvailable, browserIt, newPage, screenshot, signInToConsole, useBrowserApp, type BrowserPage,
} from '../helpers/browser-app.js';
import {
  createClient, createGroup, createUser, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { passwordGrant } from '../helpers/oauth.js';

const b = useBrowserApp();
let admin: TestUser;
let bob: TestUser;
let groupName: string;
let passwordClient: TestClient;
let tab: BrowserPage;

const LIST_CLIENTS = '{ authClients(first: 1) { totalCount } }';

beforeAll(async () => {
  admin = await createUser(b.app, { isSuperAdmin: true });
  bob = await createUser(b.app);
  groupName = await createGroup(b.app, [], []);
  passwordClient = await createClient(b.app, [AuthClientGrant.PASSWORD]);
  if (!browserAvailable) return;
  tab = await newPage(b);
  await signInToConsole(b, tab.page, admin, '/console/users');
});

afterAll(async () => {
  await tab?.context.close();
});

async function bobsToken(): Promise<string> {
  return (await passwordGrant(b.app, passwordClient, bob)).access_token;
}

browserIt('a permission ticked under its heading and saved lets the user do it', async () => {
  expect((await graphql(b.app.url, LIST_CLIENTS, {}, await bobsToken())).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  const { page } = tab;
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const label of ['Users', 'Groups', 'Permissions', 'Audit Log', 'My Tokens']) await nav.getByRole('link', { name: label }).waitFor();

  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  await page.getByRole('searchbox', { name: 'Search' }).fill(bob.username);
  await page.getByRole('status').filter({ hasText: '1 in all' }).waitFor();
  await page.getByRole('row', { name: new RegExp(bob.username) }).waitFor();
  await screenshot(page, 'users');
  await page.getByRole('link', { name: `Permissions of ${bob.username}` }).click();

  await page.getByRole('heading', { name: `Permissions of ${bob.username}` }).waitFor();
  const heading = page.getByRole('group', { name: 'Auth Clients' });
  await heading.getByRole('checkbox', { name: 'View Auth Clients' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  expect(await axeViolations(page)).toEqual([]);
  await screenshot(page, 'permissions');

  const listed = await graphql(b.app.url, LIST_CLIENTS, {}, await bobsToken());
  expect(listed.errors).toBeUndefined();
});

browserIt('a group member added through the Groups page', async () => {
  const { page } = tab;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups' }).click();
  await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
  await page.getByRole('link', { name: groupName }).click();
  await page.getByRole('heading', { name: `Group ${groupName}` }).waitFor();
  await page.getByRole('searchbox', { name: 'Find a user' }).fill(bob.username);
  await page.getByRole('button', { name: `Add ${bob.username}` }).click();
  await page.getByRole('table', { name: `Members of ${groupName}` }).getByRole('row', { name: new RegExp(bob.username) }).waitFor();
  expect(await axeViolations(page)).toEqual([]);
  await screenshot(page, 'group-members');

  const members = await graphql<{ viewer: { groups: Array<{ name: string }> } }>(b.app.url, '{ viewer { groups { name } } }', {}, await bobsToken());
  expect(members.data?.viewer.groups.map(({ name }) => name)).toEqual([groupName]);

  // The group's permissions, under its own page: what it grants reaches its members.
  await page.getByRole('main').getByRole('link', { name: 'Permissions', exact: true }).click();
  await page.getByRole('heading', { name: `Permissions of the group ${groupName}` }).waitFor();
  await page.getByRole('group', { name: 'Groups' }).getByRole('checkbox', { name: 'View Groups' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  const groups = await graphql(b.app.url, '{ groups(first: 1) { totalCount } }', {}, await bobsToken());
  expect(groups.errors).toBeUndefined();
});

browserIt('the audit log shows the events just made, newest first, and filters by action', async () => {
  const { page } = tab;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit Log' }).click();
  const table = page.getByRole('table', { name: 'Audit events, newest first' });
  await table.waitFor();
  const rows = table.getByRole('row');
  await rows.filter({ hasText: 'group.permissions_set' }).waitFor();
  const actions = await table.locator('tbody tr td:nth-child(3)').allInnerTexts();
  expect(actions.slice(0, 3)).toEqual(['group.permissions_set', 'group.user_added', 'user.permissions_set']);
  expect(await axeViolations(page)).toEqual([]);
  await screenshot(page, 'audit-log');

  await page.getByRole('combobox', { name: 'Action' }).fill('user.permissions_set');
  await table.locator('tbody tr').filter({ hasText: 'group.user_added' }).waitFor({ state: 'detached' });
  expect(await table.locator('tbody tr td:nth-child(3)').allInnerTexts()).toEqual(['user.permissions_set']);
});

browserIt('a personal access token is created, shown once, works at /graphql, and stops working once revoked', async () => {
  const clientName = `Scripts ${Date.now()}`;
  await b.app.app.services.authClients.create({
    name: clientName, grants: [AuthClientGrant.PERSONAL_ACCESS], redirectUris: [], scopes: API_SCOPE_NAMES,
  });
  const { page } = tab;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My Tokens' }).click();
  await page.getByRole('heading', { name: 'My Tokens', level: 1 }).waitFor();
  await page.getByRole('button', { name: '+ Token' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create A Personal Access Token' });
  await dialog.getByLabel('Name').fill('deploy script');
  await dialog.getByLabel('Auth client').selectOption({ label: clientName });
  await dialog.getByRole('checkbox', { name: 'auth_clients:read' }).check();
  await dialog.getByRole('button', { name: 'Create' }).click();

  const created = page.getByRole('dialog', { name: 'Token deploy script created' });
  await created.getByText("won't be shown again").waitFor();
  const token = await created.getByLabel('Personal access token').inputValue();
  await screenshot(page, 'my-tokens-created');
  await created.getByRole('button', { name: 'Done' }).click();
  const row = page.getByRole('row', { name: /deploy script/ });
  await row.waitFor();
  // Shown once: the list has its prefix only.
  expect(await page.getByText(token).count()).toBe(0);
  expect(await axeViolations(page)).toEqual([]);

  const used = await graphql<{ viewer: { username: string } }>(b.app.url, '{ viewer { username } }', {}, token);
  expect(used.data?.viewer.username).toBe(admin.username);
  const listed = await graphql(b.app.url, LIST_CLIENTS, {}, token);
  expect(listed.errors).toBeUndefined();

  await row.getByRole('button', { name: 'Revoke deploy script' }).click();
  await page.getByRole('dialog', { name: 'Revoke token deploy script' }).getByRole('button', { name: 'Revoke' }).click();
  await row.waitFor({ state: 'detached' });
  const refused = await graphql(b.app.url, '{ viewer { username } }', {}, token);
  expect(refused.status).toBe(401);
  expect(tab.errors).toEqual([]);
  expect(tab.blocked).toEqual([]);
});

browserIt('shows each page in the navigation only to those who may use it, and the rest say which permission they need', async () => {
  // Bob now holds View Auth Clients (above), View Groups through his group, and nothing of users or the audit log.
  const other = await newPage(b, { viewport: { width: 375, height: 740 } });
  await signInToConsole(b, other.page, bob, '/console/audit-log');
  const nav = other.page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'My Tokens' }).waitFor();
  expect(await nav.getByRole('link').allInnerTexts()).toEqual(['Auth Clients', 'Groups', 'My Tokens']);
  await other.page.getByText('ask your Administrator').waitFor();
  await other.page.getByText('View Audit Log').waitFor();
  // At a phone's width: the Groups page, which his group lets him see.
  await nav.getByRole('link', { name: 'Groups' }).click();
  await other.page.getByRole('link', { name: groupName }).waitFor();
  expect(await other.page.getByRole('button', { name: '+ Group' }).count()).toBe(0);
  await screenshot(other.page, 'groups-phone');
  expect(other.errors).toEqual([]);
  await other.context.close();
});
