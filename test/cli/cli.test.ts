// The CLI as a process, against the same database as the service: while the service runs, and while it does not.
import { PERMISSIONS } from '../../src/access-control/permissions.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { graphql, LIST_AUTH_CLIENTS } from '../helpers/graphql.js';
import { oauthError, passwordGrant } from '../helpers/oauth.js';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { processEnv, runCli } from '../helpers/process.js';
import { createTestStorage, type TestStorage } from '../helpers/storage.js';

let storage: TestStorage;
let service: TestApp | undefined;

beforeAll(async () => {
  storage = await createTestStorage();
  service = await startApp(storage);
});

afterAll(async () => {
  await service?.stop();
  await storage.dispose();
});

const cli = (args: string[], stdin?: string) => runCli(args, storage.env, stdin);
const json = async (args: string[], stdin?: string) => {
  const result = await cli([...args, '--json'], stdin);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as Record<string, unknown>;
};

describe('while the service runs', () => {
  it('creates a user (password from stdin), a password client, and the user signs in through that client at once', async () => {
    const user = await json(['user:create', '--username', 'carol', '--email', 'carol@example.com', '--password-stdin'], 'carol paints blue ferries\n');
    expect(user).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), username: 'carol' });

    const client = await json(['client:create', '--name', 'Carol Desktop', '--grant', 'password', '--scope', 'auth_clients:read', '--scope', 'auth_clients:write']);
    expect(client).toEqual({
      id: expect.any(String), name: 'Carol Desktop', grants: ['password'], redirectUris: [], scopes: ['auth_clients:read', 'auth_clients:write'], secret: expect.stringMatching(/^acs_/),
      confidential: true,
    });
    const tokens = await passwordGrant(service!, { id: client.id as string, secret: client.secret as string }, { username: 'carol', password: 'carol paints blue ferries' }, 'openid');
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  it('grants a permission through a group, effective on the next request', async () => {
    await json(['user:create', '--username', 'dave', '--email', 'dave@example.com', '--password', 'dave juggles quiet comets']);
    const client = await json(['client:create', '--name', 'Dave Desktop', '--grant', 'password', '--scope', 'auth_clients:read']);
    const { access_token: token } = await passwordGrant(service!, { id: client.id as string, secret: client.secret as string }, { username: 'dave', password: 'dave juggles quiet comets' }, 'openid auth_clients:read');
    expect((await graphql(service!.url, LIST_AUTH_CLIENTS, {}, token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    expect(await json(['group:create', '--name', 'Integrators'])).toEqual({ id: expect.any(String), name: 'Integrators' });
    expect(await json(['group:add-user', '--group', 'integrators', '--username', 'dave'])).toEqual({ group: 'Integrators', username: 'dave' });
    expect(await json(['permission:grant', '--group', 'Integrators', '--permission', PERMISSIONS.viewAuthClients]))
      .toEqual({ group: 'Integrators', permission: PERMISSIONS.viewAuthClients });
    expect((await graphql(service!.url, LIST_AUTH_CLIENTS, {}, token)).errors).toBeUndefined();

    expect(await json(['permission:grant', '--username', 'dave', '--permission', PERMISSIONS.createAuthClients]))
      .toEqual({ username: 'dave', permission: PERMISSIONS.createAuthClients });
    const viewer = await graphql<{ viewer: { effectivePermissions: string[] } }>(service!.url, '{ viewer { effectivePermissions } }', {}, token);
    expect(viewer.data?.viewer.effectivePermissions).toEqual([PERMISSIONS.createAuthClients, PERMISSIONS.viewAuthClients]);
  });

  it('prints only the JSON object on stdout through the documented npm run cli -- ... --json', async () => {
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn('npm', ['run', 'cli', '--', 'group:create', '--name', 'Through npm', '--json'], {
        cwd: join(import.meta.dirname, '..', '..'), env: processEnv(storage.env), stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ id: expect.any(String), name: 'Through npm' });
  });

  it('takes a password of any characters, counted as characters rather than bytes, and signs in with it', async () => {
    const password = 'Füchse 🦊 ässen';
    expect([...password]).toHaveLength(14);
    await json(['user:create', '--username', 'gita', '--email', 'gita@example.com', '--password-stdin'], `${password}\n`);
    const client = await json(['client:create', '--name', `Unicode ${Date.now()}`, '--grant', 'password']);
    const tokens = await passwordGrant(service!, { id: client.id as string, secret: client.secret as string }, { username: 'gita', password }, 'openid');
    expect(tokens.access_token).toEqual(expect.any(String));
  });

  it('creates a Super Admin with --super-admin', async () => {
    await json(['user:create', '--username', 'erin', '--email', 'erin@example.com', '--password', 'erin folds paper lanterns', '--super-admin']);
    const client = await json(['client:create', '--name', 'Erin Desktop', '--grant', 'password']);
    const { access_token: token } = await passwordGrant(service!, { id: client.id as string, secret: client.secret as string }, { username: 'erin', password: 'erin folds paper lanterns' }, 'openid');
    const viewer = await graphql<{ viewer: { isSuperAdmin: boolean } }>(service!.url, '{ viewer { isSuperAdmin } }', {}, token);
    expect(viewer.data?.viewer.isSuperAdmin).toBe(true);
  });

  it('creates an Authorization Code client with redirect URLs, through the same validation as GraphQL', async () => {
    const client = await json(['client:create', '--name', 'Web App', '--grant', 'authorization_code', '--grant', 'personal_access',
      '--redirect-uri', 'https://web.example.com/cb', '--redirect-uri', 'http://localhost:3000/cb']);
    expect(client).toMatchObject({ grants: ['authorization_code', 'personal_access'], redirectUris: ['https://web.example.com/cb', 'http://localhost:3000/cb'] });

    const refused = await cli(['client:create', '--name', 'Bad Web App', '--grant', 'authorization_code', '--redirect-uri', 'http://web.example.com/cb', '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toEqual({ error: expect.stringMatching(/must use https/) });

    const twin = await cli(['client:create', '--name', 'WEB APP', '--grant', 'password']);
    expect(twin).toMatchObject({ code: 1, stdout: '', stderr: 'An auth client named "WEB APP" already exists\n' });
  });

  it.each([
    ['an unknown command', ['user:delete'], /Unknown command "user:delete"/],
    ['an unknown option', ['user:create', '--colour', 'red'], /Unknown option '--colour'/],
    ['a missing option', ['group:create'], /--name is required/],
    ['an unknown grant', ['client:create', '--name', 'X', '--grant', 'implicit'], /unknown --grant "implicit"/],
    ['both --username and --group', ['permission:grant', '--username', 'a', '--group', 'b', '--permission', 'view-auth_clients'], /exactly one of --username, --group and --client/],
  ])('refuses %s with exit code 2 and a message', async (_case, args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it.each([
    ['a duplicate username', ['user:create', '--username', 'CAROL', '--email', 'other@example.com', '--password', 'violet ostrich umbrella'], 'A user named "CAROL" already exists'],
    ['a password of 11 characters', ['user:create', '--username', 'frank', '--email', 'frank@example.com', '--password', 'qz8#Lm2!Vr0'], 'A password is 12 to 128 characters'],
    ['a password of 129 characters', ['user:create', '--username', 'frank', '--email', 'frank@example.com', '--password', 'qz8#Lm2!Vr0x'.repeat(11).slice(0, 129)], 'A password is 12 to 128 characters'],
    ['a password that is the username', ['user:create', '--username', 'frank.castle.99', '--email', 'frank@example.com', '--password', 'Frank.Castle.99'], 'A password must not be the username or the email address'],
    ['a password that is the email', ['user:create', '--username', 'frank', '--email', 'frank.c@example.com', '--password', 'frank.c@example.com'], 'A password must not be the username or the email address'],
    ...['password1234', 'P@ssw0rd2024!', 'qwertyuiop123', 'aaaaaaaaaaaaaaaa', 'iloveyou2024!', 'frankfrank2024', 'monkey123456'].map((password) => [
      `the common or guessable password "${password}"`, ['user:create', '--username', 'frank', '--email', 'frank@example.com', '--password', password],
      'This password is too easy to guess: it is, or is close to, a common password, a common pattern or the username; choose a longer, less predictable one, such as a few unrelated words',
    ] as [string, string[], string]),
    ['an unknown permission', ['permission:grant', '--username', 'carol', '--permission', 'fly'], 'There is no permission named "fly"'],
    ['an unknown scope', ['client:create', '--name', 'Scoped', '--grant', 'password', '--scope', 'admin'], 'Unknown scope "admin"; choose from auth_clients:read, auth_clients:write, personal_access_tokens, users:read, users:write, groups:read, groups:write, audit_log:read'],
    ['an unknown group', ['group:add-user', '--group', 'nope', '--username', 'carol'], 'There is no group named "nope"'],
  ])('refuses %s with exit code 1 and one JSON error', async (_case, args, error) => {
    const result = await cli([...args, '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ error });
  });
});

describe('while the service is stopped', () => {
  it('opens the database itself, several CLIs taking turns, and the service sees the result when it starts', async () => {
    const port = service!.config.port;
    await service!.stop();
    service = undefined;

    const [first, second] = await Promise.all([
      json(['client:create', '--name', 'Offline One', '--grant', 'password']),
      json(['client:create', '--name', 'Offline Two', '--grant', 'password']),
    ]);

    service = await startApp(storage, { PORT: String(port) });
    for (const client of [first, second]) {
      const tokens = await passwordGrant(service, { id: client.id as string, secret: client.secret as string }, { username: 'carol', password: 'carol paints blue ferries' }, 'openid');
      expect(tokens.access_token).toEqual(expect.any(String));
    }
    expect(await oauthError(passwordGrant(service, { id: first.id as string, secret: second.secret as string }, { username: 'carol', password: 'carol paints blue ferries' })))
      .toMatchObject({ error: 'invalid_client' });
  });
});
