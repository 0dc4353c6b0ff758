// The audit log through the public surface: every change leaves one event, with its actor, source IP, user agent and
// diff, written in the change's own transaction; no secret ever enters it; reading it needs view-audit_log.
import { PERMISSIONS } from '../../src/access-control/permissions.js';
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { diffChanges, recordAuditEvent, safeChangesJson } from '../../src/audit/audit-log.service.js';
import { ValidationFailed } from '../../src/shared/errors.js';
import { useTestApp } from '../helpers/app.js';
import {
  createClient, createGroup, createUser, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import { CREATE_AUTH_CLIENT, graphql, type GraphQLResult } from '../helpers/graphql.js';
import { passwordGrant } from '../helpers/oauth.js';

const t = useTestApp();
let client: TestClient;
let admin: TestUser;
let adminToken: string;

const USER_AGENT = 'audit-test/1.0 (+https://example.com)';

/** GraphQL over HTTP with a User-Agent of our own. */
async function gql<Data = Record<string, unknown>>(query: string, variables: Record<string, unknown>, token: string): Promise<GraphQLResult<Data>> {
  const response = await fetch(`${t.current.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'user-agent': USER_AGENT },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, ...(await response.json() as object) };
}

const AUDIT_EVENTS = `query Audit($first: Int, $after: String, $action: String, $actorId: String, $targetId: String) {
  auditEvents(first: $first, after: $after, action: $action, actorId: $actorId, targetId: $targetId) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id occurredAt actorType actorId action targetType targetId ip userAgent changes } }
  }
}`;

interface AuditEventNode {
  id: string;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
}
type AuditEventsData = { auditEvents: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { cursor: string; node: AuditEventNode }[] } };

async function events(variables: Record<string, unknown> = {}, token = adminToken) {
  const result = await gql<AuditEventsData>(AUDIT_EVENTS, { first: 100, ...variables }, token);
  expect(result.errors).toBeUndefined();
  return result.data!.auditEvents;
}

const CREATE_PAT = `mutation Create($input: CreatePersonalAccessTokenInput!) {
  createPersonalAccessToken(input: $input) { token personalAccessToken { id } }
}`;
const REVOKE_PAT = 'mutation Revoke($id: ID!) { revokePersonalAccessToken(id: $id) { id } }';

beforeAll(async () => {
  client = await createClient(t.current, [AuthClientGrant.PASSWORD, AuthClientGrant.PERSONAL_ACCESS]);
  admin = await createUser(t.current, { isSuperAdmin: true });
  adminToken = (await passwordGrant(t.current, client, admin, `openid ${API_SCOPE_NAMES.join(' ')}`)).access_token;
});

describe('each change leaves one event, written with it', () => {
  it('records createAuthClient with the user, the IP and user agent of the HTTP request, and the fields it set', async () => {
    const created = await gql<{ createAuthClient: { authClient: { id: string } } }>(CREATE_AUTH_CLIENT, {
      input: { name: 'Audited App', grants: ['AUTHORIZATION_CODE'], redirectUris: ['https://app.example.com/cb'], scopes: ['auth_clients:read'] },
    }, adminToken);
    expect(created.errors).toBeUndefined();
    const id = created.data!.createAuthClient.authClient.id;

    const { edges } = await events({ targetId: id });
    expect(edges.map(({ node }) => node)).toEqual([{
      id: expect.any(String),
      occurredAt: expect.any(String),
      actorType: 'user',
      actorId: admin.user.id,
      action: 'auth_client.created',
      targetType: 'auth_client',
      targetId: id,
      ip: '127.0.0.1',
      userAgent: USER_AGENT,
      changes: {
        name: { before: null, after: 'Audited App' },
        grants: { before: null, after: ['authorization_code'] },
        redirectUris: { before: null, after: ['https://app.example.com/cb'] },
        scopes: { before: null, after: ['auth_clients:read'] },
        skipConsent: { before: null, after: false },
        accessTokenLifetime: { before: null, after: 3600 },
        refreshTokenLifetime: { before: null, after: 2592000 },
        confidential: { before: null, after: true },
      },
    }]);
  });

  it('records creating and revoking a personal access token, with its owner as the actor', async () => {
    const created = await gql<{ createPersonalAccessToken: { personalAccessToken: { id: string } } }>(CREATE_PAT, {
      input: { name: 'deploy script', authClientId: client.id, scopes: ['auth_clients:read'] },
    }, adminToken);
    expect(created.errors).toBeUndefined();
    const id = created.data!.createPersonalAccessToken.personalAccessToken.id;
    expect((await gql(REVOKE_PAT, { id }, adminToken)).errors).toBeUndefined();

    const { edges } = await events({ targetId: id });
    expect(edges.map(({ node }) => [node.action, node.actorType, node.actorId, node.ip, node.userAgent])).toEqual([
      ['personal_access_token.revoked', 'user', admin.user.id, '127.0.0.1', USER_AGENT],
      ['personal_access_token.created', 'user', admin.user.id, '127.0.0.1', USER_AGENT],
    ]);
    const [revoked, createdEvent] = edges.map(({ node }) => node);
    expect(createdEvent!.changes).toEqual({
      name: { before: null, after: 'deploy script' },
      userId: { before: null, after: admin.user.id },
      authClientId: { before: null, after: client.id },
      scopes: { before: null, after: ['auth_clients:read'] },
      expiresAt: { before: null, after: expect.stringMatching(/^\d{4}-/) },
    });
    expect(revoked!.changes).toEqual({ revokedAt: { before: null, after: expect.stringMatching(/^\d{4}-/) } });
    // Revoking it again changes nothing, and records nothing.
    expect((await gql(REVOKE_PAT, { id }, adminToken)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await events({ targetId: id })).edges).toHaveLength(2);
  });

  it('records users, groups, memberships and grants made by the services, as the CLI (no request)', async () => {
    const member = await createUser(t.current, { permissions: [PERMISSIONS.viewAuthClients] });
    const groupName = await createGroup(t.current, [PERMISSIONS.viewAuditLog], [member]);
    const group = await t.current.app.services.accessControl.findGroup(t.current.em(), groupName);

    const ofUser = (await events({ targetId: member.user.id })).edges.map(({ node }) => node);
    expect(ofUser.map(({ action, actorType, actorId, ip, changes }) => ({ action, actorType, actorId, ip, changes }))).toEqual([
      {
        action: 'permission.granted', actorType: 'cli', actorId: null, ip: null, changes: { permissions: { before: null, after: PERMISSIONS.viewAuthClients } },
      },
      {
        action: 'user.created',
        actorType: 'cli',
        actorId: null,
        ip: null,
        changes: { username: { before: null, after: member.username }, email: { before: null, after: `${member.username}@example.com` }, isSuperAdmin: { before: null, after: false } },
      },
    ]);
    const ofGroup = (await events({ targetId: group.id })).edges.map(({ node }) => node);
    expect(ofGroup.map(({ action, targetType, changes }) => ({ action, targetType, changes }))).toEqual([
      { action: 'group.user_added', targetType: 'group', changes: { members: { before: null, after: { userId: member.user.id, username: member.username } } } },
      { action: 'permission.granted', targetType: 'group', changes: { permissions: { before: null, after: PERMISSIONS.viewAuditLog } } },
      { action: 'group.created', targetType: 'group', changes: { name: { before: null, after: groupName } } },
    ]);
  });

  it('records nothing for a grant or membership that already existed: an event never describes a change that did not happen', async () => {
    const member = await createUser(t.current, { permissions: [PERMISSIONS.viewAuthClients] });
    const em = t.current.em();
    const { accessControl, users } = t.current.app.services;
    const groupName = await createGroup(t.current, [], [member]);
    const group = await accessControl.findGroup(em, groupName);
    const before = (await events()).totalCount;
    expect(await accessControl.grant(em, member.user, await accessControl.findPermission(em, PERMISSIONS.viewAuthClients))).toBe(false);
    expect(await accessControl.addMember(em, group, (await users.findByUsername(em, member.username))!)).toBe(false);
    expect((await events()).totalCount).toBe(before);
  });
});

describe('a change that fails leaves no event', () => {
  it('refuses a duplicate client name with BAD_USER_INPUT, and records nothing', async () => {
    const input = { name: 'Only Once', grants: ['PASSWORD'] };
    expect((await gql(CREATE_AUTH_CLIENT, { input }, adminToken)).errors).toBeUndefined();
    const before = await events({ action: 'auth_client.created' });
    const refused = await gql(CREATE_AUTH_CLIENT, { input: { ...input, name: 'only once' } }, adminToken);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect((await events({ action: 'auth_client.created' })).totalCount).toBe(before.totalCount);
  });

  it('rolls back an event already written when the change it describes then fails (a duplicate group name)', async () => {
    const { accessControl } = t.current.app.services;
    await accessControl.createGroup(t.current.em(), 'Twice');
    const before = (await events({ action: 'group.created' })).totalCount;
    // The event is inserted before the group's own insert fails on the unique name: both go.
    await expect(accessControl.createGroup(t.current.em(), 'TWICE')).rejects.toThrow(ValidationFailed);
    expect((await events({ action: 'group.created' })).totalCount).toBe(before);
  });

  it('rolls back a personal access token whose name is taken, its event, and the token already stored', async () => {
    const input = { name: 'same name', authClientId: client.id };
    expect((await gql(CREATE_PAT, { input }, adminToken)).errors).toBeUndefined();
    const before = (await events({ action: 'personal_access_token.created' })).totalCount;
    const tokensBefore = await t.current.em().execute("select count(*)::int as count from oidc_payloads where model = 'AccessToken'");
    expect((await gql(CREATE_PAT, { input }, adminToken)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    expect((await events({ action: 'personal_access_token.created' })).totalCount).toBe(before);
    expect(await t.current.em().execute("select count(*)::int as count from oidc_payloads where model = 'AccessToken'")).toEqual(tokensBefore);
  });

  it('refuses to record outside a transaction, and refuses fields or values that could hold a credential', async () => {
    const event = { actor: { type: 'cli' as const }, action: 'group.created' as const, target: { type: 'group' as const, id: null } };
    await expect(recordAuditEvent(t.current.em(), event)).rejects.toThrow(/em.transactional/);
    for (const field of ['secretHash', 'secret_hash', 'tokenHash', 'password', 'passwordHash', 'clientSecret', 'secrets', 'tokens', 'token', 'accessToken', 'value']) {
      expect(() => safeChangesJson({ [field]: { before: null, after: 'x' } })).toThrow(/never records/);
    }
    expect(() => safeChangesJson({ note: { before: null, after: `acs_${'a'.repeat(43)}` } })).toThrow(/never records/);
    expect(() => safeChangesJson({ secretPrefix: { before: null, after: 'acs_abcdef' }, secretId: { before: null, after: 'x' }, tokenPrefix: { before: null, after: 'acp_abcdef' }, secretExpiresAt: { before: null, after: 'x' }, revokedCount: { before: 0, after: 3 } })).not.toThrow();
  });

  it('records each value as its JSON text would give it back', () => {
    const after = {
      text: 'x', flag: false, count: 3, zero: -0, notANumber: Number.NaN, list: ['a', 'b'], mixed: ['a', 1], at: new Date(0),
      nested: { a: [1, { b: null }] }, none: null, missing: undefined,
    };
    const changes = diffChanges(null, after);
    for (const [field, value] of Object.entries(after)) {
      expect(changes[field]).toEqual({ before: null, after: value === undefined ? null : JSON.parse(JSON.stringify(value)) });
    }
    expect(Object.is(changes.zero!.after, 0)).toBe(true);
    expect(changes.list!.after).not.toBe(after.list); // a copy: later changes to the list are not recorded
    expect(safeChangesJson({})).toBeNull();
  });
});

it('never holds a secret, hash, token or password: a dump of the whole table contains none of those the test made', async () => {
  const em = t.current.em();
  const values: string[] = [client.secret, admin.password, adminToken];
  const created = await gql<{ createAuthClient: { clientSecret: string } }>(CREATE_AUTH_CLIENT, { input: { name: 'Dump Me', grants: ['PASSWORD'] } }, adminToken);
  values.push(created.data!.createAuthClient.clientSecret);
  const pat = await gql<{ createPersonalAccessToken: { token: string; personalAccessToken: { id: string } } }>(CREATE_PAT, { input: { name: 'dump me', authClientId: client.id } }, adminToken);
  values.push(pat.data!.createPersonalAccessToken.token);
  await gql(REVOKE_PAT, { id: pat.data!.createPersonalAccessToken.personalAccessToken.id }, adminToken);
  const member = await createUser(t.current, { permissions: [PERMISSIONS.viewAuditLog] });
  values.push(member.password);
  values.push((await passwordGrant(t.current, client, member, 'openid offline_access audit_log:read')).access_token);

  for (const { hash } of await em.execute<{ hash: string }[]>('select secret_hash as hash from auth_client_secrets union all select password_hash from users union all select token_hash from personal_access_tokens')) {
    values.push(hash);
  }
  for (const { id } of await em.execute<{ id: string }[]>("select id from oidc_payloads where model in ('AccessToken', 'RefreshToken')")) values.push(id);

  const dump = JSON.stringify(await em.execute('select * from audit_events'));
  expect(dump).toContain('auth_client.created');
  expect(dump).toContain('personal_access_token.revoked');
  expect(values.length).toBeGreaterThan(10);
  expect(values.filter((value) => dump.includes(value))).toEqual([]);
});

describe('auditEvents', () => {
  it('pages newest first, without gaps or repeats, and filters by action, actor and target', async () => {
    const all = await events();
    expect(all.totalCount).toBe(all.edges.length);
    const times = all.edges.map(({ node }) => Date.parse(node.occurredAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: AuditEventsData['auditEvents'] = await events({ first: 3, after });
      expect(page.edges.length).toBeLessThanOrEqual(3);
      seen.push(...page.edges.map(({ node }) => node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.edges.map(({ node }) => node.id));

    const byAction = await events({ action: 'auth_client.created' });
    expect(byAction.edges.length).toBeGreaterThan(0);
    expect(byAction.edges.every(({ node }) => node.action === 'auth_client.created')).toBe(true);
    expect(byAction.totalCount).toBe(all.edges.filter(({ node }) => node.action === 'auth_client.created').length);
    const byActor = await events({ actorId: admin.user.id });
    expect(byActor.edges.map(({ node }) => node.id)).toEqual(all.edges.filter(({ node }) => node.actorId === admin.user.id).map(({ node }) => node.id));
    const both = await events({ actorId: admin.user.id, action: 'personal_access_token.revoked' });
    expect(both.edges.length).toBeGreaterThan(0);
    expect(both.edges.every(({ node }) => node.actorId === admin.user.id && node.action === 'personal_access_token.revoked')).toBe(true);
    expect((await events({ targetId: 'no such target' })).edges).toEqual([]);
  });

  it.each([
    ['a cursor it did not hand out', { after: 'bm9wZQ' }, 'after'],
    ['a page size over 100', { first: 101 }, 'first'],
  ])('refuses %s with BAD_USER_INPUT', async (_case, variables, field) => {
    const result = await gql(AUDIT_EVENTS, variables, adminToken);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  describe('needs view-audit_log and the scope audit_log:read', () => {
    const tokenOf = async (user: TestUser, scope = 'openid audit_log:read') => (await passwordGrant(t.current, client, user, scope)).access_token;
    const codeOf = async (token: string) => (await gql(AUDIT_EVENTS, {}, token)).errors?.[0]?.extensions?.code;

    it('refuses a user without the permission: FORBIDDEN', async () => {
      expect(await codeOf(await tokenOf(await createUser(t.current, { permissions: [PERMISSIONS.viewAuthClients] })))).toBe('FORBIDDEN');
    });

    it('lets a user holding it directly or through a group read the log', async () => {
      expect(await codeOf(await tokenOf(await createUser(t.current, { permissions: [PERMISSIONS.viewAuditLog] })))).toBeUndefined();
      const member = await createUser(t.current);
      await createGroup(t.current, [PERMISSIONS.viewAuditLog], [member]);
      expect(await codeOf(await tokenOf(member))).toBeUndefined();
    });

    it('lets a Super Admin read the log', async () => {
      expect(await codeOf(await tokenOf(await createUser(t.current, { isSuperAdmin: true })))).toBeUndefined();
    });

    it('refuses a token without audit_log:read, even a Super Admin\'s: FORBIDDEN naming the scope', async () => {
      const result = await gql(AUDIT_EVENTS, {}, await tokenOf(await createUser(t.current, { isSuperAdmin: true }), 'openid auth_clients:read'));
      expect(result.errors?.[0]?.extensions).toEqual({ code: 'FORBIDDEN', requiredScope: 'audit_log:read' });
    });

    it('refuses a request without a token: UNAUTHENTICATED', async () => {
      expect((await graphql(t.current.url, AUDIT_EVENTS, {})).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });
});
