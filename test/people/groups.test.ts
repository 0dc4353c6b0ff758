// Groups through GraphQL: creating, editing, deleting, members and permissions; who may do each; and how a change of a
// membership or a grant reaches every token of the members at their next request, on every instance.
import { randomUUID } from 'node:crypto';
import { PERMISSIONS, type PermissionName } from '../../src/access-control/permissions.js';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { heard, startApp, useTestApp } from '../helpers/app.js';
import {
  createClient, createGroup, createUser, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import { passwordGrant } from '../helpers/oauth.js';
import { serverUrl } from '../helpers/storage.js';
import {
  ALL, auditEventsOf, codeOf, errorOf, gqlOn, unique, type Data,
} from './people-helpers.js';

const t = useTestApp();
let console: TestClient;
let admin: TestUser;
let adminToken: string;

beforeAll(async () => {
  console = await createClient(t.current, [AuthClientGrant.PASSWORD]);
  admin = await createUser(t.current, { isSuperAdmin: true });
  adminToken = (await passwordGrant(t.current, console, admin, ALL)).access_token;
});

const gql = (query: string, variables: Record<string, unknown> = {}, token = adminToken) => gqlOn(t.current, token, query, variables);
const tokenOf = async (user: TestUser, scope = ALL) => (await passwordGrant(t.current, console, user, scope)).access_token;

const GROUP_FIELDS = 'id name description permissions memberCount members { totalCount edges { node { id username } } }';
const CREATE = `mutation($input: CreateGroupInput!) { createGroup(input: $input) { ${GROUP_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { ${GROUP_FIELDS} } }`;
const DELETE = 'mutation($id: ID!) { deleteGroup(id: $id) { deletedGroupId } }';
const ADD = `mutation($groupId: ID!, $userIds: [ID!]!) { addGroupMembers(groupId: $groupId, userIds: $userIds) { ${GROUP_FIELDS} } }`;
const REMOVE = `mutation($groupId: ID!, $userIds: [ID!]!) { removeGroupMembers(groupId: $groupId, userIds: $userIds) { ${GROUP_FIELDS} } }`;
const SET_PERMISSIONS = `mutation($groupId: ID!, $permissions: [String!]!) { setGroupPermissions(groupId: $groupId, permissions: $permissions) { ${GROUP_FIELDS} } }`;

/** A new group, made through GraphQL, holding `permissions`, with `members`; returns its id. */
async function newGroup(permissions: PermissionName[] = [], members: TestUser[] = []): Promise<string> {
  const { id } = (await gql(CREATE, { input: { name: `group-${unique()}` } })).data!.createGroup as { id: string };
  if (permissions.length > 0) await gql(SET_PERMISSIONS, { groupId: id, permissions });
  if (members.length > 0) await gql(ADD, { groupId: id, userIds: members.map((member) => member.user.id) });
  return id;
}

const eventsOf = (targetId: string) => auditEventsOf(t.current, adminToken, targetId);

describe('createGroup and updateGroup', () => {
  it('creates, renames and describes a group, recording each change', async () => {
    const name = `Editors ${unique()}`;
    const created = await gql(CREATE, { input: { name: `  ${name} `, description: 'They edit' } });
    expect(created.data!.createGroup).toMatchObject({
      name, description: 'They edit', permissions: [], memberCount: 0, members: { totalCount: 0, edges: [] },
    });
    const { id } = created.data!.createGroup as { id: string };
    expect(codeOf(await gql(UPDATE, { input: { id, name: name.toUpperCase() } }))).toBe('OK');
    const updated = await gql(UPDATE, { input: { id, description: '' } });
    expect(updated.data!.updateGroup).toMatchObject({ name: name.toUpperCase(), description: null });
    expect((await eventsOf(id)).map((event) => event.action)).toEqual(['group.updated', 'group.updated', 'group.created']);
  });

  it.each([
    ['a taken name in another case', (taken: string) => ({ name: taken.toUpperCase() }), 'name'],
    ['an empty name', () => ({ name: '   ' }), 'name'],
    ['a name with control characters', () => ({ name: 'a\u0007b' }), 'name'],
    ['a name with a right-to-left override', () => ({ name: `admins\u202E${unique()}` }), 'name'],
    ['a name with a zero-width space', () => ({ name: `ad\u200Bmins-${unique()}` }), 'name'],
    ['a name with a BOM', () => ({ name: `\uFEFFadmins-${unique()}` }), 'name'],
    ['a taken name typed decomposed (NFD)', (taken: string) => ({ name: `${taken}-Cafe\u0301` }), 'name'],
    ['a too long description', () => ({ name: `g-${unique()}`, description: 'x'.repeat(1001) }), 'description'],
  ])('refuses %s with BAD_USER_INPUT on that field, on create and update', async (_case, input, field) => {
    const taken = `taken-${unique()}`;
    await gql(CREATE, { input: { name: `${taken}-Caf\u00e9` } });
    const { id } = (await gql(CREATE, { input: { name: taken.toLowerCase() } })).data!.createGroup as { id: string };
    const other = await newGroup();
    expect(errorOf(await gql(CREATE, { input: Object.assign({ name: `n-${unique()}` }, input(taken)) }))).toMatchObject({ code: 'BAD_USER_INPUT', field });
    const refused = await gql(UPDATE, { input: { id: other, ...input(taken) } });
    expect(errorOf(refused)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect((await gql('query($id: ID!) { group(id: $id) { name } }', { id })).data!.group.name).toBe(taken.toLowerCase());
  });
});

describe.each([
  ['updateGroup', (id: string) => [UPDATE, { input: { id, name: `x-${unique()}` } }] as const],
  ['deleteGroup', (id: string) => [DELETE, { id }] as const],
  ['addGroupMembers', (id: string) => [ADD, { groupId: id, userIds: [] }] as const],
  ['removeGroupMembers', (id: string) => [REMOVE, { groupId: id, userIds: [] }] as const],
  ['setGroupPermissions', (id: string) => [SET_PERMISSIONS, { groupId: id, permissions: [] }] as const],
])('%s', (_name, call) => {
  it.each([['an unknown id', randomUUID()], ['an id that is not a UUID', 'not-a-uuid']])('answers NOT_FOUND for %s', async (_case, id) => {
    const [query, variables] = call(id);
    expect(errorOf(await gql(query, variables))).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('groups and group', () => {
  it('lists groups by name, searching any case, with their permissions, members and counts', async () => {
    const tag = unique();
    const [one, two] = [await createUser(t.current), await createUser(t.current)];
    for (const name of [`b-${tag}`, `A-${tag}`, `c-${tag}`]) {
      const { id } = (await gql(CREATE, { input: { name } })).data!.createGroup as { id: string };
      if (name.startsWith('A')) {
        await gql(ADD, { groupId: id, userIds: [one.user.id, two.user.id] });
        await gql(SET_PERMISSIONS, { groupId: id, permissions: [PERMISSIONS.viewUsers] });
      }
    }
    const page = async (variables: Data) => (await gql(`query($first: Int, $after: String, $search: String) { groups(first: $first, after: $after, search: $search) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { name permissions memberCount members(first: 1) { totalCount pageInfo { hasNextPage } } } } } }`, variables)).data!.groups as Data;
    const first = await page({ first: 2, search: tag.toUpperCase() });
    expect(first.totalCount).toBe(3);
    const firstEdges: Data[] = first.edges;
    expect(firstEdges.map(({ node }) => node as Data)).toEqual([
      { name: `A-${tag}`, permissions: ['view-users'], memberCount: 2, members: { totalCount: 2, pageInfo: { hasNextPage: true } } },
      { name: `b-${tag}`, permissions: [], memberCount: 0, members: { totalCount: 0, pageInfo: { hasNextPage: false } } },
    ]);
    const second = await page({ first: 2, search: tag, after: first.pageInfo.endCursor });
    const secondEdges: Array<{ node: { name: string } }> = second.edges;
    expect(secondEdges.map(({ node }) => node.name)).toEqual([`c-${tag}`]);
    const groupsOfOne = await gql('query($id: ID!) { user(id: $id) { groups { name } effectivePermissions } }', { id: one.user.id });
    expect(groupsOfOne.data!.user).toEqual({ groups: [{ name: `A-${tag}` }], effectivePermissions: ['view-users'] });
  });

  it.each([['an unknown id', randomUUID()], ['an id that is not a UUID', 'nope']])('answers null for %s', async (_case, id) => {
    expect((await gql('query($id: ID!) { group(id: $id) { id } }', { id })).data!.group).toBeNull();
  });
});

describe('members', () => {
  it('adds and removes members, keeping members already in, and records one event per change', async () => {
    const [one, two] = [await createUser(t.current), await createUser(t.current)];
    const id = await newGroup();
    const added = await gql(ADD, { groupId: id, userIds: [one.user.id, one.user.id, two.user.id] });
    expect(added.data!.addGroupMembers.memberCount).toBe(2);
    expect((await gql(ADD, { groupId: id, userIds: [one.user.id] })).data!.addGroupMembers.memberCount).toBe(2);
    const removed = await gql(REMOVE, { groupId: id, userIds: [one.user.id] });
    const remaining: Array<{ node: { id: string } }> = removed.data!.removeGroupMembers.members.edges;
    expect(remaining.map(({ node }) => node.id)).toEqual([two.user.id]);
    // Events of one transaction share its time: compare them without their order.
    const seen = (await eventsOf(id)).map((event) => {
      const member: Data | null = event.changes?.members?.before ?? event.changes?.members?.after ?? null;
      return `${event.action} ${member ? String(member.userId) : ''}`;
    });
    expect(seen.sort()).toEqual([`group.user_added ${one.user.id}`, `group.user_added ${two.user.id}`, 'group.created ', `group.user_removed ${one.user.id}`].sort());
  });

  it.each([['an unknown user', () => randomUUID()], ['an id that is not a UUID', () => 'nope']])('answers NOT_FOUND for %s, and adds nobody', async (_case, unknown) => {
    const user = await createUser(t.current);
    const id = await newGroup();
    expect(errorOf(await gql(ADD, { groupId: id, userIds: [user.user.id, unknown()] }))).toMatchObject({ code: 'NOT_FOUND' });
    expect((await gql('query($id: ID!) { group(id: $id) { memberCount } }', { id })).data!.group.memberCount).toBe(0);
  });

  it('refuses more than 100 users at once with BAD_USER_INPUT on userIds', async () => {
    const id = await newGroup();
    expect(errorOf(await gql(ADD, { groupId: id, userIds: Array.from({ length: 101 }, () => randomUUID()) }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userIds' });
  });

  it('leaves exactly one membership and one event when the same user is added 10 times at once', async () => {
    const user = await createUser(t.current);
    const id = await newGroup();
    const results = await Promise.all(Array.from({ length: 10 }, () => gql(ADD, { groupId: id, userIds: [user.user.id] })));
    expect(results.map(codeOf)).toEqual(Array(10).fill('OK'));
    const rows = await t.current.em().execute<Array<{ count: string }>>('select count(*) from group_members where group_id = ? and user_id = ?', [id, user.user.id]);
    expect(Number(rows[0]!.count)).toBe(1);
    expect((await eventsOf(id)).filter((event) => event.action === 'group.user_added')).toHaveLength(1);
  });
});

describe('changes apply at the next request of existing tokens', () => {
  it('removing a member, a permission of a group, or the group itself takes what it granted away', async () => {
    const [one, two, three] = [await createUser(t.current), await createUser(t.current), await createUser(t.current)];
    const id = await newGroup([PERMISSIONS.viewUsers, PERMISSIONS.viewGroups], [one, two, three]);
    const tokens = await Promise.all([one, two, three].map((user) => tokenOf(user)));
    const canList = async (token: string) => codeOf(await gql('{ users(first: 1) { totalCount } }', {}, token));
    expect(await Promise.all(tokens.map(canList))).toEqual(['OK', 'OK', 'OK']);
    await gql(REMOVE, { groupId: id, userIds: [one.user.id] });
    expect(await Promise.all(tokens.map(canList))).toEqual(['FORBIDDEN', 'OK', 'OK']);
    await gql(SET_PERMISSIONS, { groupId: id, permissions: [PERMISSIONS.viewGroups] });
    expect(await Promise.all(tokens.map(canList))).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(codeOf(await gql('{ groups(first: 1) { totalCount } }', {}, tokens[1]))).toBe('OK');
    expect((await gql(DELETE, { id })).data!.deleteGroup).toEqual({ deletedGroupId: id });
    expect(codeOf(await gql('{ groups(first: 1) { totalCount } }', {}, tokens[1]))).toBe('FORBIDDEN');
    expect((await eventsOf(id))[0]).toMatchObject({ action: 'group.deleted', actorId: admin.user.id });
  });

  (serverUrl ? it : it.skip)('a change made on one instance applies on the other at its next request', async () => {
    const other = await startApp(t.current.storage);
    try {
      const member = await createUser(t.current);
      const id = await newGroup([PERMISSIONS.viewUsers], [member]);
      const token = await tokenOf(member);
      const listOn = async (app: typeof other) => codeOf(await gqlOn(app, token, '{ users(first: 1) { totalCount } }'));
      expect(await listOn(other)).toBe('OK');
      const removedHeard = heard(other, 'permissions');
      await gql(REMOVE, { groupId: id, userIds: [member.user.id] });
      await removedHeard;
      expect(await listOn(other)).toBe('FORBIDDEN');
      const addedHeard = heard(t.current, 'permissions');
      await gqlOn(other, adminToken, ADD, { groupId: id, userIds: [member.user.id] });
      await addedHeard;
      expect(await listOn(t.current)).toBe('OK');
      const deactivatedHeard = heard(other, 'users');
      await gql('mutation($input: UpdateUserInput!) { updateUser(input: $input) { id } }', { input: { id: member.user.id, isActive: false } });
      await deactivatedHeard;
      expect(await listOn(other)).toBe('UNAUTHENTICATED');
    } finally {
      await other.stop();
    }
  });
});

describe('anti-climbing', () => {
  it('lets who is not a Super Admin change the members and permissions only of groups whose permissions they all hold', async () => {
    const editor = await createUser(t.current, { permissions: [PERMISSIONS.editGroups, PERMISSIONS.viewGroups] });
    const token = await tokenOf(editor);
    const mighty = await newGroup([PERMISSIONS.deleteUsers]);
    const modest = await newGroup([PERMISSIONS.viewGroups]);
    // Joining a group that grants what they lack would be climbing.
    expect(errorOf(await gql(ADD, { groupId: mighty, userIds: [editor.user.id] }, token))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('"delete-users"') });
    expect(errorOf(await gql(REMOVE, { groupId: mighty, userIds: [admin.user.id] }, token))).toMatchObject({ code: 'FORBIDDEN' });
    expect(errorOf(await gql(SET_PERMISSIONS, { groupId: modest, permissions: [PERMISSIONS.viewGroups, PERMISSIONS.editUsers] }, token)))
      .toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('"edit-users"') });
    expect(errorOf(await gql(SET_PERMISSIONS, { groupId: mighty, permissions: [] }, token))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('"delete-users"') });
    expect(codeOf(await gql(ADD, { groupId: modest, userIds: [editor.user.id] }, token))).toBe('OK');
    expect((await gql(SET_PERMISSIONS, { groupId: modest, permissions: [PERMISSIONS.editGroups, PERMISSIONS.viewGroups] }, token)).data!.setGroupPermissions.permissions)
      .toEqual(['edit-groups', 'view-groups']);
    expect((await gql('query($id: ID!) { group(id: $id) { memberCount permissions } }', { id: mighty })).data!.group).toEqual({ memberCount: 0, permissions: ['delete-users'] });
  });

  it('lets who is not a Super Admin delete only groups whose permissions they all hold', async () => {
    const deleter = await createUser(t.current, { permissions: [PERMISSIONS.deleteGroups] });
    const token = await tokenOf(deleter);
    expect(errorOf(await gql(DELETE, { id: await newGroup([PERMISSIONS.viewUsers]) }, token))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('"view-users"') });
    expect(codeOf(await gql(DELETE, { id: await newGroup([PERMISSIONS.deleteGroups]) }, token))).toBe('OK');
  });

  it('answers BAD_USER_INPUT on permissions for an unknown permission', async () => {
    expect(errorOf(await gql(SET_PERMISSIONS, { groupId: await newGroup(), permissions: ['root'] }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'permissions' });
  });
});

describe('who may call what', () => {
  type Name = 'create' | 'update' | 'delete' | 'add' | 'remove' | 'permissions' | 'list' | 'one';
  const calls: Record<Name, (groupId: string, userId: string) => readonly [string, Data]> = {
    create: () => ['mutation($input: CreateGroupInput!) { createGroup(input: $input) { id } }', { input: { name: `made-${unique()}` } }],
    update: (id) => ['mutation($input: UpdateGroupInput!) { updateGroup(input: $input) { id } }', { input: { id, description: 'd' } }],
    delete: (id) => [DELETE, { id }],
    add: (groupId, userId) => ['mutation($groupId: ID!, $userIds: [ID!]!) { addGroupMembers(groupId: $groupId, userIds: $userIds) { id } }', { groupId, userIds: [userId] }],
    remove: (groupId, userId) => ['mutation($groupId: ID!, $userIds: [ID!]!) { removeGroupMembers(groupId: $groupId, userIds: $userIds) { id } }', { groupId, userIds: [userId] }],
    permissions: (groupId) => ['mutation($groupId: ID!, $permissions: [String!]!) { setGroupPermissions(groupId: $groupId, permissions: $permissions) { id } }', { groupId, permissions: [] }],
    list: () => ['{ groups { totalCount } }', {}],
    one: (id) => ['query($id: ID!) { group(id: $id) { id } }', { id }],
  };
  const everyGroupPermission: PermissionName[] = [PERMISSIONS.viewGroups, PERMISSIONS.createGroups, PERMISSIONS.editGroups, PERMISSIONS.deleteGroups];
  const holders: Record<string, () => Promise<string>> = {
    'no permission': async () => tokenOf(await createUser(t.current)),
    'every group permission, directly': async () => tokenOf(await createUser(t.current, { permissions: everyGroupPermission })),
    'every group permission, through a group': async () => {
      const member = await createUser(t.current);
      await createGroup(t.current, everyGroupPermission, [member]);
      return tokenOf(member);
    },
    'edit-groups only': async () => tokenOf(await createUser(t.current, { permissions: [PERMISSIONS.editGroups] })),
    'Super Admin': () => Promise.resolve(adminToken),
    'Super Admin, token without groups:write': () => tokenOf(admin, 'openid groups:read'),
  };
  const allowed: Record<string, Name[]> = {
    'no permission': [],
    'every group permission, directly': ['create', 'update', 'delete', 'add', 'remove', 'permissions', 'list', 'one'],
    'every group permission, through a group': ['create', 'update', 'delete', 'add', 'remove', 'permissions', 'list', 'one'],
    'edit-groups only': ['update', 'add', 'remove', 'permissions'],
    'Super Admin': ['create', 'update', 'delete', 'add', 'remove', 'permissions', 'list', 'one'],
    'Super Admin, token without groups:write': ['list', 'one'],
  };
  it.each(Object.keys(holders))('%s', async (holder) => {
    const token = await holders[holder]!();
    const user = await createUser(t.current);
    const seen: Record<string, string> = {};
    for (const name of Object.keys(calls) as Name[]) {
      const [query, variables] = calls[name](await newGroup([], name === 'remove' ? [user] : []), user.user.id);
      seen[name] = codeOf(await gql(query, variables, token));
    }
    expect(seen).toEqual(Object.fromEntries((Object.keys(calls) as Name[]).map((name) => [name, allowed[holder]!.includes(name) ? 'OK' : 'FORBIDDEN'])));
  });
});
