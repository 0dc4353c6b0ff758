// The audit log's storage and its CLI: the table refuses UPDATE, DELETE and TRUNCATE from any SQL, except the retention
// prune (`audit:prune`), which is itself audited; `audit:list` shows what the CLI and GraphQL changed, and from where
// (behind a trusted proxy, the address it forwarded).
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { createClient, createUser } from '../helpers/fixtures.js';
import { CREATE_AUTH_CLIENT } from '../helpers/graphql.js';
import { passwordGrant } from '../helpers/oauth.js';
import { runCli } from '../helpers/process.js';
import { createTestStorage, type TestStorage } from '../helpers/storage.js';

let storage: TestStorage;
let service: TestApp;

beforeAll(async () => {
  storage = await createTestStorage();
  // The test talks to the service from 127.0.0.1: as a trusted proxy, its X-Forwarded-For is believed.
  service = await startApp(storage, { TRUST_PROXY: 'loopback' });
});

afterAll(async () => {
  await service?.stop();
  await storage.dispose();
});

const json = async (args: string[], stdin?: string) => {
  const result = await runCli([...args, '--json'], storage.env, stdin);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as Record<string, unknown>;
};

interface ListedEvent {
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
const list = async (args: string[] = []) => (await json(['audit:list', ...args])).events as ListedEvent[];

it('records what the CLI changes with the actor cli, and audit:list shows it newest first, also for one target', async () => {
  const user = await json(['user:create', '--username', 'olga', '--email', 'olga@example.com', '--password-stdin'], 'olga rows past amber cliffs\n');
  const group = await json(['group:create', '--name', 'Auditors']);
  await json(['group:add-user', '--group', 'Auditors', '--username', 'olga']);
  await json(['permission:grant', '--group', 'Auditors', '--permission', 'view-audit_log']);
  const client = await json(['client:create', '--name', 'Olga CLI', '--grant', 'password', '--grant', 'personal_access', '--scope', 'audit_log:read']);
  const token = await json(['token:create', '--username', 'olga', '--client', client.id as string, '--name', 'nightly']);

  const events = await list();
  expect(events.map(({ action, actorType, actorId, targetId }) => [action, actorType, actorId, targetId]).slice(0, 6)).toEqual([
    ['personal_access_token.created', 'cli', null, token.id],
    ['auth_client.created', 'cli', null, client.id],
    ['permission.granted', 'cli', null, group.id],
    ['group.user_added', 'cli', null, group.id],
    ['group.created', 'cli', null, group.id],
    ['user.created', 'cli', null, user.id],
  ]);
  expect(events.every(({ ip, userAgent }) => ip === null && userAgent === null)).toBe(true);
  const dump = JSON.stringify(events);
  for (const secret of ['olga rows past amber cliffs', client.secret as string, token.token as string]) expect(dump).not.toContain(secret);

  expect((await list(['--target', client.id as string])).map(({ action, changes }) => [action, changes])).toEqual([[
    'auth_client.created',
    {
      name: { before: null, after: 'Olga CLI' },
      grants: { before: null, after: ['password', 'personal_access'] },
      redirectUris: { before: null, after: [] },
      scopes: { before: null, after: ['audit_log:read'] },
      skipConsent: { before: null, after: false },
      accessTokenLifetime: { before: null, after: 3600 },
      refreshTokenLifetime: { before: null, after: 2592000 },
      confidential: { before: null, after: true },
    },
  ]]);

  const text = await runCli(['audit:list', '--target', group.id as string], storage.env);
  expect(text.code).toBe(0);
  expect(text.stdout.trim().split('\n').map((line) => line.split('  ')[2])).toEqual(['permission.granted', 'group.user_added', 'group.created']);
});

it('records the address a trusted proxy forwarded, and the user agent, for a GraphQL change', async () => {
  const client = await createClient(service);
  const admin = await createUser(service, { isSuperAdmin: true });
  const { access_token: token } = await passwordGrant(service, client, admin, `openid ${API_SCOPE_NAMES.join(' ')}`);
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', authorization: `Bearer ${token}`, 'user-agent': 'proxied/2', 'x-forwarded-for': '203.0.113.9',
    },
    body: JSON.stringify({ query: CREATE_AUTH_CLIENT, variables: { input: { name: 'Behind A Proxy', grants: ['PASSWORD'] } } }),
  });
  const { data } = await response.json() as { data: { createAuthClient: { authClient: { id: string } } } };
  const [event] = await list(['--target', data.createAuthClient.authClient.id]);
  expect(event).toMatchObject({
    action: 'auth_client.created', actorType: 'user', actorId: admin.user.id, ip: '203.0.113.9', userAgent: 'proxied/2',
  });
});

describe('the table is append-only', () => {
  it.each([
    ['UPDATE', "update audit_events set action = 'user.created'"],
    ['DELETE', 'delete from audit_events'],
    ['TRUNCATE', 'truncate audit_events'],
  ])('refuses %s from plain SQL', async (operation, statement) => {
    const before = await service.em().execute('select * from audit_events order by id');
    await expect(service.em().execute(statement)).rejects.toThrow(new RegExp(`audit_events is append-only: ${operation} is refused`));
    expect(await service.em().execute('select * from audit_events order by id')).toEqual(before);
  });

  it('lets the prune setting delete, but never update', async () => {
    await expect(service.em().transactional(async (tx) => {
      await tx.execute("set local auth_clients.audit_prune = 'on'");
      await tx.execute("update audit_events set action = 'user.created'");
    })).rejects.toThrow(/UPDATE is refused/);
  });
});

describe('audit:prune', () => {
  it('refuses a missing or unreadable --before with the usage (exit 2), deleting nothing', async () => {
    const before = (await list()).length;
    for (const args of [[], ['--before', 'last tuesday'], ['--before', '2026-13-45']]) {
      const result = await runCli(['audit:prune', ...args], storage.env);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/--before/) });
    }
    expect((await list()).length).toBe(before);
  });

  it('deletes only the events older than the date, records that it did with the count, and the table stays closed after', async () => {
    const all = await list();
    // Everything so far is older than this; the events of one more change are not.
    const cutoff = new Date(Date.now() + 1000);
    await new Promise((resolve) => { setTimeout(resolve, 1100); });
    const kept = await json(['group:create', '--name', 'After The Cutoff']);

    expect(await json(['audit:prune', '--before', cutoff.toISOString()])).toEqual({ deleted: all.length, before: cutoff.toISOString() });
    const left = await list();
    expect(left.map(({ action, actorType, targetId }) => [action, actorType, targetId])).toEqual([
      ['audit_log.pruned', 'cli', null],
      ['group.created', 'cli', kept.id],
    ]);
    expect(left[0]!.changes).toEqual({ deletedCount: { before: null, after: all.length }, prunedBefore: { before: null, after: cutoff.toISOString() } });

    // The permission to delete lasted only for the prune's own transaction.
    await expect(service.em().execute('delete from audit_events')).rejects.toThrow(/append-only/);
    expect(await json(['audit:prune', '--before', '2000-01-01'])).toEqual({ deleted: 0, before: '2000-01-01T00:00:00.000Z' });
  });
});
