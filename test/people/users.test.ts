// Users through GraphQL: creating, editing, passwords, deleting, direct permissions; who may do each; and what each
// does to the sessions and tokens the user holds, at the very next request.
import { randomUUID } from 'node:crypto';
import { PERMISSIONS, type PermissionName } from '../../src/access-control/permissions.js';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import { FormBrowser } from '../helpers/browser.js';
import {
  changeInSql, createClient, createGroup, createUser, settled, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import {
  clientConfig, oauthError, oidc, passwordGrant,
} from '../helpers/oauth.js';
import {
  ALL, auditEventsOf, codeOf, errorOf, gqlOn, outcome, strongPassword, unique, USER_FIELDS,
} from './people-helpers.js';

const t = useTestApp();
let console: TestClient;
let admin: TestUser;
let adminToken: string;

beforeAll(async () => {
  console = await createClient(t.current, [AuthClientGrant.PASSWORD, AuthClientGrant.PERSONAL_ACCESS]);
  admin = await createUser(t.current, { isSuperAdmin: true });
  adminToken = (await passwordGrant(t.current, console, admin, ALL)).access_token;
});

const gql = (query: string, variables: Record<string, unknown> = {}, token = adminToken) => gqlOn(t.current, token, query, variables);
const tokenOf = async (user: TestUser, scope = ALL) => (await passwordGrant(t.current, console, user, scope)).access_token;

const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { ${USER_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateUserInput!) { updateUser(input: $input) { ${USER_FIELDS} } }`;
const SET_PASSWORD = 'mutation($id: ID!, $password: String!, $currentPassword: String) { setUserPassword(id: $id, password: $password, currentPassword: $currentPassword) { id } }';
const CHANGE_MY_PASSWORD = 'mutation($currentPassword: String!, $newPassword: String!) { changeMyPassword(currentPassword: $currentPassword, newPassword: $newPassword) { id } }';
const DELETE = 'mutation($id: ID!) { deleteUser(id: $id) { deletedUserId } }';
const SET_PERMISSIONS = `mutation($userId: ID!, $permissions: [String!]!) { setUserPermissions(userId: $userId, permissions: $permissions) { ${USER_FIELDS} } }`;
const SET_SUPER_ADMIN = 'mutation($userId: ID!, $isSuperAdmin: Boolean!) { setSuperAdmin(userId: $userId, isSuperAdmin: $isSuperAdmin) { id isSuperAdmin } }';

const eventsOf = (targetId: string) => auditEventsOf(t.current, adminToken, targetId);

describe('createUser', () => {
  it('creates an active user who can sign in, and records who did it', async () => {
    const username = `New.User-${unique()}`;
    const password = strongPassword();
    const result = await gql(CREATE, { input: { username: `  ${username} `, email: `${username}@Example.com`, password } });
    expect(result.errors).toBeUndefined();
    const created: { id: string } = result.data!.createUser;
    expect(created).toMatchObject({
      username, email: `${username}@Example.com`, isActive: true, isSuperAdmin: false, directPermissions: [], effectivePermissions: [], lastSignInAt: null, groups: [],
    });
    expect(await outcome(t.current, await tokenOf({ username: username.toLowerCase(), password } as TestUser))).toBe('OK');
    const signedIn = await gql(`query($id: ID!) { user(id: $id) { lastSignInAt } }`, { id: created.id });
    const lastSignInAt: string = signedIn.data!.user.lastSignInAt;
    expect(Date.now() - Date.parse(lastSignInAt)).toBeLessThan(60_000);
    const [event] = await eventsOf(created.id);
    expect(event).toMatchObject({ action: 'user.created', actorId: admin.user.id });
    expect(JSON.stringify(event)).not.toContain(password);
  });

  it('creates an inactive user, who cannot sign in', async () => {
    const username = `inactive-${unique()}`;
    const password = strongPassword();
    const result = await gql(CREATE, {
      input: {
        username, email: `${username}@example.com`, password, isActive: false,
      },
    });
    expect(result.data!.createUser.isActive).toBe(false);
    expect(await oauthError(passwordGrant(t.current, console, { username, password }))).toMatchObject({ error: 'invalid_grant' });
  });

  it.each([
    ['a taken username in another case', (taken: TestUser) => ({ username: taken.username.toUpperCase() }), 'username'],
    ['a taken email in another case', (taken: TestUser) => ({ email: `${taken.username.toUpperCase()}@EXAMPLE.COM` }), 'email'],
    ['an invalid username', () => ({ username: 'no spaces allowed' }), 'username'],
    ['an invalid email', () => ({ email: 'not-an-email' }), 'email'],
    ['an email with a zero-width space', () => ({ email: 'ad\u200Bmin@example.com' }), 'email'],
    ['a too short password', () => ({ password: 'short' }), 'password'],
    ['a password of 11 characters', () => ({ password: 'qz8#Lm2!Vr0' }), 'password'],
    ['a common password', () => ({ password: 'password1234' }), 'password'],
    ['a password close to a common one', () => ({ password: 'P@ssw0rd2024!' }), 'password'],
  ])('refuses %s with BAD_USER_INPUT on that field, and creates nothing', async (_case, change, field) => {
    const taken = await createUser(t.current);
    const username = `fresh-${unique()}`;
    const input = {
      username, email: `${username}@example.com`, password: strongPassword(), ...change(taken),
    };
    const result = await gql(CREATE, { input });
    expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    const found = await gql('query($search: String) { users(search: $search) { totalCount } }', { search: username });
    expect(found.data!.users.totalCount).toBe(0);
  });
});

it('announces a change of a user to the caches, but not the recording of a sign-in', async () => {
  const user = await createUser(t.current);
  await settled(t.current);
  const announced: string[] = [];
  t.current.app.changes.on('users', (id) => announced.push(id));
  await tokenOf(user);
  await changeInSql(t.current, 'update users set last_sign_in_at = now() where id = ?', [user.user.id]);
  expect(announced).toEqual([]);
  await changeInSql(t.current, 'update users set is_active = false, last_sign_in_at = now() where id = ?', [user.user.id]);
  expect(announced).toEqual([user.user.id]);
});

describe('users and user', () => {
  it('lists users by username, searching usernames and emails in any case, filtering by state, page by page', async () => {
    const tag = unique();
    const alpha = await createUser(t.current, { username: `alpha-${tag}` });
    await createUser(t.current, { username: `beta-${tag}` });
    const gamma = await createUser(t.current, { username: `gamma-${tag}` });
    await gql(UPDATE, { input: { id: gamma.user.id, isActive: false } });
    interface UserPage { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: Array<{ node: { username: string } }> }
    const list = async (variables: Record<string, unknown>): Promise<UserPage> => (await gql(`query($first: Int, $after: String, $search: String, $isActive: Boolean) {
      users(first: $first, after: $after, search: $search, isActive: $isActive) { totalCount pageInfo { hasNextPage endCursor } edges { node { username } } } }`, variables)).data!.users as UserPage;
    const names = (page: { edges: Array<{ node: { username: string } }> }) => page.edges.map(({ node }) => node.username.split('-')[0]);
    const first = await list({ first: 2, search: tag.toUpperCase() });
    expect([names(first), first.totalCount, first.pageInfo.hasNextPage]).toEqual([['alpha', 'beta'], 3, true]);
    const second = await list({ first: 2, search: tag, after: first.pageInfo.endCursor });
    expect([names(second), second.pageInfo.hasNextPage]).toEqual([['gamma'], false]);
    expect(names(await list({ search: `${tag}@EXAMPLE`, isActive: false }))).toEqual(['gamma']);
    expect(names(await list({ search: `ALPHA-${tag}` }))).toEqual(['alpha']);
    // LIKE's wildcards are matched literally.
    expect((await list({ search: `%${tag}` })).totalCount).toBe(0);
    expect((await gql('query($id: ID!) { user(id: $id) { username } }', { id: alpha.user.id })).data!.user.username).toBe(alpha.username);
  });

  it.each([['an unknown id', randomUUID()], ['an id that is not a UUID', 'nope']])('answers null for %s', async (_case, id) => {
    const result = await gql('query($id: ID!) { user(id: $id) { id } }', { id });
    expect(result.errors).toBeUndefined();
    expect(result.data!.user).toBeNull();
  });

  it('shows a user themself without view-users, but nobody else, and not their groups\' other members', async () => {
    const someone = await createUser(t.current);
    const other = await createUser(t.current);
    await createGroup(t.current, [], [someone, other]);
    const token = await tokenOf(someone, 'openid');
    const self = await gql(`query($id: ID!) { user(id: $id) { username groups { name } } }`, { id: someone.user.id }, token);
    expect(self.errors).toBeUndefined();
    expect(self.data!.user.groups).toHaveLength(1);
    expect(codeOf(await gql('query($id: ID!) { user(id: $id) { username } }', { id: other.user.id }, token))).toBe('FORBIDDEN');
    expect(codeOf(await gql('{ users { totalCount } }', {}, token))).toBe('FORBIDDEN');
    expect(codeOf(await gql('{ viewer { groups { members { totalCount } } } }', {}, token))).toBe('FORBIDDEN');
  });

  it('lists the permission catalogue under its headings for anyone signed in', async () => {
    const result = await gql('{ permissions { name permissions { name title } } }', {}, await tokenOf(await createUser(t.current), 'openid'));
    const headings: Array<{ name: string }> = result.data!.permissions;
    expect(headings.map((heading) => heading.name)).toEqual(['Auth Clients', 'Users', 'Groups', 'Audit Log']);
    expect(result.data!.permissions[1].permissions[0]).toEqual({ name: 'view-users', title: 'View Users' });
    expect(codeOf(await gqlOn(t.current, '', '{ permissions { name } }'))).toBe('UNAUTHENTICATED');
  });
});

describe('updateUser', () => {
  it('changes what it is given, keeps the rest, and records the change', async () => {
    const user = await createUser(t.current);
    const username = `renamed-${unique()}`;
    const result = await gql(UPDATE, { input: { id: user.user.id, username: ` ${username} ` } });
    expect(result.data!.updateUser).toMatchObject({ username, email: `${user.username}@example.com`, isActive: true });
    // Its own name in another case is no conflict.
    expect(codeOf(await gql(UPDATE, { input: { id: user.user.id, username: username.toUpperCase() } }))).toBe('OK');
    expect((await eventsOf(user.user.id))[1]).toMatchObject({ action: 'user.updated', changes: { username: { before: user.username, after: username } } });
  });

  it.each([
    ['a taken username', (taken: TestUser) => ({ username: taken.username.toUpperCase() }), 'username'],
    ['a taken email', (taken: TestUser) => ({ email: `${taken.username}@example.com` }), 'email'],
    ['an invalid email', () => ({ email: 'x@' }), 'email'],
    ['an invalid username', () => ({ username: '' }), 'username'],
  ])('refuses %s with BAD_USER_INPUT on that field', async (_case, change, field) => {
    const [user, taken] = [await createUser(t.current), await createUser(t.current)];
    const result = await gql(UPDATE, { input: { id: user.user.id, ...change(taken) } });
    expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect((await gql('query($id: ID!) { user(id: $id) { username email } }', { id: user.user.id })).data!.user.username).toBe(user.username);
  });

  it('lets nobody deactivate themself', async () => {
    const editor = await createUser(t.current, { permissions: [PERMISSIONS.editUsers] });
    const result = await gql(UPDATE, { input: { id: editor.user.id, isActive: false } }, await tokenOf(editor));
    expect(errorOf(result)).toMatchObject({ code: 'FORBIDDEN', message: 'You cannot deactivate yourself' });
    expect(errorOf(await gql(UPDATE, { input: { id: admin.user.id, isActive: false } }))).toMatchObject({ code: 'FORBIDDEN', message: 'You cannot deactivate yourself' });
  });
});

describe.each([
  ['updateUser', (id: string) => [UPDATE, { input: { id, username: `x-${unique()}` } }] as const],
  ['setUserPassword', (id: string) => [SET_PASSWORD, { id, password: strongPassword() }] as const],
  ['deleteUser', (id: string) => [DELETE, { id }] as const],
  ['setUserPermissions', (id: string) => [SET_PERMISSIONS, { userId: id, permissions: [] }] as const],
  ['setSuperAdmin', (id: string) => [SET_SUPER_ADMIN, { userId: id, isSuperAdmin: false }] as const],
])('%s', (_name, call) => {
  it.each([['an unknown id', randomUUID()], ['an id that is not a UUID', 'not-a-uuid']])('answers NOT_FOUND for %s', async (_case, id) => {
    const [query, variables] = call(id);
    expect(errorOf(await gql(query, variables))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('is refused to who is not a Super Admin when the user is one', async () => {
    const target = await createUser(t.current, { isSuperAdmin: true });
    const holder = await createUser(t.current, { permissions: [PERMISSIONS.editUsers, PERMISSIONS.deleteUsers] });
    const [query, variables] = call(target.user.id);
    expect(codeOf(await gql(query, variables, await tokenOf(holder)))).toBe('FORBIDDEN');
    expect((await gql('query($id: ID!) { user(id: $id) { username isSuperAdmin } }', { id: target.user.id })).data!.user).toEqual({ username: target.username, isSuperAdmin: true });
  });
});

describe('who may call what', () => {
  type Name = 'create' | 'update' | 'password' | 'delete' | 'permissions' | 'superAdmin' | 'list';
  const calls: Record<Name, (target: TestUser) => readonly [string, Record<string, unknown>]> = {
    create: () => {
      const username = `made-${unique()}`;
      return ['mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', { input: { username, email: `${username}@example.com`, password: strongPassword() } }];
    },
    update: (target) => ['mutation($input: UpdateUserInput!) { updateUser(input: $input) { id } }', { input: { id: target.user.id, email: `${unique()}@example.com` } }],
    password: (target) => [SET_PASSWORD, { id: target.user.id, password: strongPassword() }],
    delete: (target) => [DELETE, { id: target.user.id }],
    permissions: (target) => ['mutation($userId: ID!, $permissions: [String!]!) { setUserPermissions(userId: $userId, permissions: $permissions) { id } }', { userId: target.user.id, permissions: [] }],
    superAdmin: (target) => [SET_SUPER_ADMIN, { userId: target.user.id, isSuperAdmin: true }],
    list: () => ['{ users { totalCount } }', {}],
  };
  const everyUserPermission: PermissionName[] = [PERMISSIONS.viewUsers, PERMISSIONS.createUsers, PERMISSIONS.editUsers, PERMISSIONS.deleteUsers];
  const holders: Record<string, () => Promise<string>> = {
    'no permission': async () => tokenOf(await createUser(t.current)),
    'every user permission, directly': async () => tokenOf(await createUser(t.current, { permissions: everyUserPermission })),
    'every user permission, through a group': async () => {
      const member = await createUser(t.current);
      await createGroup(t.current, everyUserPermission, [member]);
      return tokenOf(member);
    },
    'edit-users only': async () => tokenOf(await createUser(t.current, { permissions: [PERMISSIONS.editUsers] })),
    'Super Admin': () => Promise.resolve(adminToken),
    'Super Admin, token without users:write': () => tokenOf(admin, 'openid users:read'),
    'Super Admin, token without users:*': () => tokenOf(admin, 'openid groups:read groups:write'),
  };
  const allowed: Record<string, Name[]> = {
    'no permission': [],
    'every user permission, directly': ['create', 'update', 'password', 'delete', 'permissions', 'list'],
    'every user permission, through a group': ['create', 'update', 'password', 'delete', 'permissions', 'list'],
    'edit-users only': ['update', 'password', 'permissions'],
    'Super Admin': ['create', 'update', 'password', 'delete', 'permissions', 'superAdmin', 'list'],
    'Super Admin, token without users:write': ['list'],
    'Super Admin, token without users:*': [],
  };
  it.each(Object.keys(holders))('%s', async (holder) => {
    const token = await holders[holder]!();
    const seen: Record<string, string> = {};
    for (const name of Object.keys(calls) as Name[]) {
      const [query, variables] = calls[name](await createUser(t.current));
      seen[name] = codeOf(await gql(query, variables, token));
    }
    expect(seen).toEqual(Object.fromEntries((Object.keys(calls) as Name[]).map((name) => [name, allowed[holder]!.includes(name) ? 'OK' : 'FORBIDDEN'])));
  });

  it('refuses a client acting as itself what needs a user, and anonymous callers everything', async () => {
    const machine = await createClient(t.current, [AuthClientGrant.CLIENT_CREDENTIALS]);
    const { access_token: machineToken } = await oidc.clientCredentialsGrant(await clientConfig(t.current, machine), { scope: 'users:write' });
    expect(codeOf(await gql(CHANGE_MY_PASSWORD, { currentPassword: 'x', newPassword: strongPassword() }, machineToken))).toBe('FORBIDDEN');
    expect(codeOf(await gql(SET_SUPER_ADMIN, { userId: admin.user.id, isSuperAdmin: true }, machineToken))).toBe('FORBIDDEN');
    for (const [query, variables] of Object.values(calls).map((call) => call(admin))) {
      expect(codeOf(await gqlOn(t.current, '', query, variables))).toBe('UNAUTHENTICATED');
    }
  });
});

/** A user of a fresh client: a password-grant token with a refresh token, a personal access token, a browser session. */
async function userWithEverything(permissions: PermissionName[] = [PERMISSIONS.viewUsers]) {
  const redirect = 'https://app.example.com/cb';
  const client = await createClient(t.current, [AuthClientGrant.PASSWORD, AuthClientGrant.PERSONAL_ACCESS, AuthClientGrant.AUTHORIZATION_CODE], [redirect]);
  const user = await createUser(t.current, { permissions });
  const tokens = await passwordGrant(t.current, client, user, ALL);
  const { token: pat } = await t.current.app.services.personalAccessTokens.create(
    t.current.em(), user.user, { name: `pat-${unique()}`, authClientId: client.id, scopes: ['users:read'] }, null,
  );
  const config = await clientConfig(t.current, client);
  const browser = new FormBrowser([redirect]);
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirect, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  }).href;
  await browser.submit(await browser.open(authorizationUrl), /\/login$/, { login: user.username, password: user.password });
  /** Whether the browser is still signed in: a new sign-in goes straight to consent instead of the login form. */
  const browserSignedIn = async () => {
    const page = await browser.open(authorizationUrl);
    if (/\/login"/.test(page.html)) return false;
    if (/\/consent"/.test(page.html)) return true;
    throw new Error(`unexpected page ${page.status} ${page.url}`);
  };
  const refresh = (refreshToken = tokens.refresh_token!) => oidc.refreshTokenGrant(config, refreshToken)
    .then(() => 'OK', (error: unknown) => (error as { error?: string }).error ?? String(error));
  return {
    client, user, tokens, pat, browserSignedIn, refresh, config,
  };
}

describe('deactivating and deleting', () => {
  it('deactivating ends the access token, refresh token, personal access token and browser session at the next request, for good', async () => {
    const held = await userWithEverything();
    expect([await outcome(t.current, held.tokens.access_token), await outcome(t.current, held.pat), await held.browserSignedIn()]).toEqual(['OK', 'OK', true]);
    const result = await gql(UPDATE, { input: { id: held.user.user.id, isActive: false } });
    expect(result.data!.updateUser.isActive).toBe(false);
    expect([await outcome(t.current, held.tokens.access_token), await outcome(t.current, held.pat), await held.refresh()])
      .toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'invalid_grant']);
    expect(await oauthError(passwordGrant(t.current, held.client, held.user))).toMatchObject({ error: 'invalid_grant' });
    // Active again, they sign in anew: nothing they held comes back.
    await gql(UPDATE, { input: { id: held.user.user.id, isActive: true } });
    expect([await outcome(t.current, held.tokens.access_token), await outcome(t.current, held.pat), await held.refresh(), await held.browserSignedIn()])
      .toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'invalid_grant', false]);
    expect(await outcome(t.current, (await passwordGrant(t.current, held.client, held.user)).access_token)).toBe('OK');
  });

  it('deleting ends everything too, keeps their audit events and the auth clients they created, and frees the name', async () => {
    const held = await userWithEverything([PERMISSIONS.createAuthClients]);
    const created = await gqlOn(t.current, held.tokens.access_token, 'mutation($input: CreateAuthClientInput!) { createAuthClient(input: $input) { authClient { id } } }', {
      input: { name: `by-${held.user.username}`, grants: ['PASSWORD'] },
    });
    const clientId = created.data!.createAuthClient.authClient.id;
    const result = await gql(DELETE, { id: held.user.user.id });
    expect(result.data!.deleteUser).toEqual({ deletedUserId: held.user.user.id });
    expect([await outcome(t.current, held.tokens.access_token), await outcome(t.current, held.pat), await held.refresh(), await held.browserSignedIn()])
      .toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'invalid_grant', false]);
    expect((await gql('query($id: ID!) { user(id: $id) { id } }', { id: held.user.user.id })).data!.user).toBeNull();
    expect((await gql('query($id: ID!) { authClient(id: $id) { createdBy { id } } }', { id: clientId })).data!.authClient).toEqual({ createdBy: null });
    const actions = (await gql('query($actorId: String) { auditEvents(actorId: $actorId) { edges { node { action actorId } } } }', { actorId: held.user.user.id })).data!.auditEvents.edges;
    expect((actions as Array<{ node: { action: string } }>).map(({ node }) => node.action)).toEqual(['auth_client.created']);
    expect((await eventsOf(held.user.user.id))[0]).toMatchObject({ action: 'user.deleted', changes: { username: { before: held.user.username, after: null } } });
    expect(codeOf(await gql(CREATE, { input: { username: held.user.username, email: `${held.user.username}@example.com`, password: strongPassword() } }))).toBe('OK');
  });

  it('lets nobody delete themself', async () => {
    const deleter = await createUser(t.current, { permissions: [PERMISSIONS.deleteUsers] });
    expect(errorOf(await gql(DELETE, { id: deleter.user.id }, await tokenOf(deleter)))).toMatchObject({ code: 'FORBIDDEN', message: 'You cannot delete yourself' });
    expect(errorOf(await gql(DELETE, { id: admin.user.id }))).toMatchObject({ code: 'FORBIDDEN', message: 'You cannot delete yourself' });
  });
});

describe('passwords', () => {
  it('setUserPassword by an editor: the new password works, the old does not, other sessions and refresh tokens end', async () => {
    const held = await userWithEverything();
    const password = strongPassword();
    expect(codeOf(await gql(SET_PASSWORD, { id: held.user.user.id, password }))).toBe('OK');
    expect(await oauthError(passwordGrant(t.current, held.client, held.user))).toMatchObject({ error: 'invalid_grant' });
    expect(await outcome(t.current, (await passwordGrant(t.current, held.client, { username: held.user.username, password })).access_token)).toBe('OK');
    expect([await held.refresh(), await held.browserSignedIn()]).toEqual(['invalid_grant', false]);
    // Personal access tokens are kept: they are made on purpose, and listed and revoked by the user.
    expect(await outcome(t.current, held.pat)).toBe('OK');
    const [event] = await eventsOf(held.user.user.id);
    expect(event).toMatchObject({ action: 'user.password_changed', changes: null });
  });

  it('changeMyPassword needs the current password, and keeps the session it is called from', async () => {
    const held = await userWithEverything();
    const token = held.tokens.access_token;
    const wrong = await gqlOn(t.current, token, CHANGE_MY_PASSWORD, { currentPassword: 'not-my-password', newPassword: strongPassword() });
    expect(errorOf(wrong)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    expect(errorOf(await gqlOn(t.current, token, CHANGE_MY_PASSWORD, { currentPassword: held.user.password, newPassword: 'short' })))
      .toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });
    expect([await held.refresh(), await held.browserSignedIn()]).toEqual(['OK', true]);
    const newPassword = strongPassword();
    const other = await passwordGrant(t.current, held.client, held.user, ALL);
    expect(codeOf(await gqlOn(t.current, token, CHANGE_MY_PASSWORD, { currentPassword: held.user.password, newPassword }))).toBe('OK');
    expect([await held.refresh(other.refresh_token), await held.browserSignedIn()]).toEqual(['invalid_grant', false]);
    expect(await outcome(t.current, (await passwordGrant(t.current, held.client, { username: held.user.username, password: newPassword })).access_token)).toBe('OK');
  });

  it('setUserPassword on oneself needs only a signed-in user and the current password', async () => {
    const user = await createUser(t.current);
    const token = await tokenOf(user, 'openid');
    expect(errorOf(await gqlOn(t.current, token, SET_PASSWORD, { id: user.user.id, password: strongPassword() }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    expect(errorOf(await gqlOn(t.current, token, SET_PASSWORD, { id: user.user.id, password: strongPassword(), currentPassword: 'wrong-password-here' })))
      .toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    expect(codeOf(await gqlOn(t.current, token, SET_PASSWORD, { id: user.user.id, password: strongPassword(), currentPassword: user.password }))).toBe('OK');
    expect(errorOf(await gqlOn(t.current, token, SET_PASSWORD, { id: admin.user.id, password: strongPassword() }))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses a too short password with BAD_USER_INPUT on password', async () => {
    const user = await createUser(t.current);
    expect(errorOf(await gql(SET_PASSWORD, { id: user.user.id, password: 'short' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
    expect(codeOf(await gql(SET_PASSWORD, { id: user.user.id, password: 'x'.repeat(129 * 8 + 1) }))).toBe('BAD_USER_INPUT');
  });

  it('lets an editor set the password only of users who hold nothing the editor lacks (no signing in as someone mightier)', async () => {
    const editor = await createUser(t.current, { permissions: [PERMISSIONS.editUsers, PERMISSIONS.viewUsers] });
    const mightier = await createUser(t.current, { permissions: [PERMISSIONS.viewUsers, PERMISSIONS.deleteAuthClients] });
    const lesser = await createUser(t.current, { permissions: [PERMISSIONS.viewUsers] });
    const token = await tokenOf(editor);
    expect(errorOf(await gql(SET_PASSWORD, { id: mightier.user.id, password: strongPassword() }, token))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('"delete-auth_clients"') });
    expect(await outcome(t.current, await tokenOf(mightier))).toBe('OK');
    expect(codeOf(await gql(SET_PASSWORD, { id: lesser.user.id, password: strongPassword() }, token))).toBe('OK');
  });
});

describe('setUserPermissions', () => {
  it('replaces the direct set, keeps what groups grant, and applies at the next request of an existing token', async () => {
    const user = await createUser(t.current, { permissions: [PERMISSIONS.viewUsers, PERMISSIONS.viewAuthClients] });
    await createGroup(t.current, [PERMISSIONS.viewGroups], [user]);
    const token = await tokenOf(user);
    expect(codeOf(await gql('{ users { totalCount } }', {}, token))).toBe('OK');
    const result = await gql(SET_PERMISSIONS, { userId: user.user.id, permissions: [PERMISSIONS.viewAuthClients, PERMISSIONS.viewAuditLog, PERMISSIONS.viewAuditLog] });
    expect(result.data!.setUserPermissions).toMatchObject({
      directPermissions: ['view-audit_log', 'view-auth_clients'], effectivePermissions: ['view-audit_log', 'view-auth_clients', 'view-groups'],
    });
    expect(codeOf(await gql('{ users { totalCount } }', {}, token))).toBe('FORBIDDEN');
    expect(codeOf(await gql('{ auditEvents(first: 1) { totalCount } }', {}, token))).toBe('OK');
    expect((await eventsOf(user.user.id))[0]).toMatchObject({
      action: 'user.permissions_set', changes: { permissions: { before: ['view-auth_clients', 'view-users'], after: ['view-audit_log', 'view-auth_clients'] } },
    });
  });

  it('answers BAD_USER_INPUT on permissions for an unknown name, and changes nothing', async () => {
    const user = await createUser(t.current, { permissions: [PERMISSIONS.viewUsers] });
    expect(errorOf(await gql(SET_PERMISSIONS, { userId: user.user.id, permissions: ['view-users', 'be-god'] }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'permissions', message: expect.stringContaining('"be-god"') });
    expect((await gql('query($id: ID!) { user(id: $id) { directPermissions } }', { id: user.user.id })).data!.user.directPermissions).toEqual(['view-users']);
  });

  it('lets who is not a Super Admin add or remove only permissions they hold themself', async () => {
    const editor = await createUser(t.current, { permissions: [PERMISSIONS.editUsers, PERMISSIONS.viewUsers] });
    const target = await createUser(t.current, { permissions: [PERMISSIONS.deleteAuthClients] });
    const token = await tokenOf(editor);
    const set = (permissions: string[], userId = target.user.id) => gql(SET_PERMISSIONS, { userId, permissions }, token);
    // Climbing: granting themself, or anyone, what they lack.
    expect(errorOf(await set(['edit-users', 'view-users', 'delete-users'], editor.user.id))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('"delete-users"') });
    expect(errorOf(await set(['delete-auth_clients', 'create-users']))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('"create-users"') });
    // Taking away what they lack themself.
    expect(errorOf(await set(['view-users']))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('"delete-auth_clients"') });
    // What they hold, they may add and remove, leaving the rest as it is.
    expect((await set(['delete-auth_clients', 'view-users'])).data!.setUserPermissions.directPermissions).toEqual(['delete-auth_clients', 'view-users']);
    expect((await set(['delete-auth_clients'])).data!.setUserPermissions.directPermissions).toEqual(['delete-auth_clients']);
  });
});

describe('setSuperAdmin', () => {
  it('makes and unmakes a Super Admin, who holds every permission meanwhile', async () => {
    const user = await createUser(t.current);
    const token = await tokenOf(user);
    expect((await gql(SET_SUPER_ADMIN, { userId: user.user.id, isSuperAdmin: true })).data!.setSuperAdmin.isSuperAdmin).toBe(true);
    expect(codeOf(await gql('{ users { totalCount } }', {}, token))).toBe('OK');
    expect((await gql(SET_SUPER_ADMIN, { userId: user.user.id, isSuperAdmin: false })).data!.setSuperAdmin.isSuperAdmin).toBe(false);
    expect(codeOf(await gql('{ users { totalCount } }', {}, token))).toBe('FORBIDDEN');
    expect((await eventsOf(user.user.id)).slice(0, 2).map((event) => event.changes)).toEqual([
      { isSuperAdmin: { before: true, after: false } }, { isSuperAdmin: { before: false, after: true } },
    ]);
  });

  it('is refused to who is not a Super Admin, whatever they hold', async () => {
    const editor = await createUser(t.current, { permissions: [PERMISSIONS.editUsers] });
    expect(errorOf(await gql(SET_SUPER_ADMIN, { userId: editor.user.id, isSuperAdmin: true }, await tokenOf(editor)))).toMatchObject({ code: 'FORBIDDEN' });
  });
});
