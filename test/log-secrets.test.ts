// The logs of a whole run carry no secret: the built service as a process, LOG_LEVEL=info, through a scenario that
// makes secrets, tokens and passwords and fails in the ways a log would be written for, then every secret-ish value
// the run made (those returned, those typed, and the hashes stored) is looked for in what it printed.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { API_SCOPE_NAMES } from '../src/access-control/scopes.js';
import { socketDirFor } from '../src/db/embedded.js';
import { freePort } from './helpers/app.js';
import { graphql } from './helpers/graphql.js';
import { oauthError, oidc } from './helpers/oauth.js';
import { runCli, startService, type ServiceProcess } from './helpers/process.js';
import { createTestStorage, type TestStorage } from './helpers/storage.js';

let storage: TestStorage;
let service: ServiceProcess | undefined;

beforeAll(async () => {
  storage = await createTestStorage();
});
afterAll(async () => {
  await service?.stop();
  await storage.dispose();
});

/** A plain connection to the running service's database: the server's, or the embedded one through its socket. */
async function connect(): Promise<pg.Client> {
  if (storage.mode === 'server') {
    const client = new pg.Client({ connectionString: storage.env.DATABASE_URL });
    await client.connect();
    return client;
  }
  const client = new pg.Client({
    host: socketDirFor(storage.env.DATA_DIR!), port: 5432, user: 'postgres', database: 'postgres',
  });
  await client.connect();
  return client;
}

const random = () => randomBytes(12).toString('base64url');

it('prints no secret, token, password, hash or SQL value, even when inserts fail', async () => {
  const adminPassword = `admin ${random()}`;
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const env = {
    ...storage.env, PORT: String(port), LOG_LEVEL: 'info', ADMIN_USERNAME: 'root', ADMIN_PASSWORD: adminPassword,
  };
  service = await startService(env);
  const typed: string[] = [adminPassword];
  const returned: string[] = [];

  const cli = await runCli([
    'client:create', '--name', 'Console', '--grant', 'password', '--grant', 'personal_access',
    ...API_SCOPE_NAMES.flatMap((scope) => ['--scope', scope]), '--json',
  ], env);
  const consoleClient = JSON.parse(cli.stdout) as { id: string; secret: string };
  returned.push(consoleClient.secret);
  const config = await oidc.discovery(new URL(`${url}/oidc`), consoleClient.id, undefined, oidc.ClientSecretBasic(consoleClient.secret), {
    execute: [oidc.allowInsecureRequests],
  });
  const scope = `openid offline_access ${API_SCOPE_NAMES.join(' ')}`;
  const signIn = (username: string, password: string) => oidc.genericGrantRequest(config, 'password', { username, password, scope });

  const admin = await signIn('root', adminPassword);
  returned.push(admin.access_token, admin.refresh_token!, admin.id_token!);
  const wrongPassword = `wrong ${random()}`;
  typed.push(wrongPassword);
  expect(await oauthError(signIn('root', wrongPassword))).toMatchObject({ error: 'invalid_grant' });
  const token = admin.access_token;

  const create = (name: string) => graphql<{ createAuthClient: { clientSecret: string; authClient: { id: string } } }>(url, `mutation ($input: CreateAuthClientInput!) {
    createAuthClient(input: $input) { clientSecret authClient { id } } }`, { input: { name, grants: ['CLIENT_CREDENTIALS'], scopes: ['auth_clients:read'] } }, token);
  const billing = await create('Billing');
  returned.push(billing.data!.createAuthClient.clientSecret);
  expect((await create('billing')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  const rotated = await graphql<{ rotateAuthClientSecret: { clientSecret: string } }>(url, `mutation ($id: ID!) {
    rotateAuthClientSecret(id: $id) { clientSecret } }`, { id: billing.data!.createAuthClient.authClient.id }, token);
  returned.push(rotated.data!.rotateAuthClientSecret.clientSecret);

  const alicePassword = `Correct horse ${random()} staple`;
  typed.push(alicePassword);
  const alice = await graphql(url, `mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
    input: { username: 'alice', email: 'alice@example.com', password: alicePassword },
  }, token);
  expect(alice.errors).toBeUndefined();
  const aliceTokens = await signIn('alice', alicePassword);
  returned.push(aliceTokens.access_token, aliceTokens.refresh_token!, aliceTokens.id_token!);
  const aliceWrong = `${alicePassword}!`;
  typed.push(aliceWrong);
  expect(await oauthError(signIn('alice', aliceWrong))).toMatchObject({ error: 'invalid_grant' });

  const refreshed = await oidc.refreshTokenGrant(config, admin.refresh_token!);
  returned.push(refreshed.access_token, refreshed.refresh_token!);
  expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(true);
  await oidc.tokenRevocation(config, aliceTokens.refresh_token!);
  const clientToken = await oidc.clientCredentialsGrant(await oidc.discovery(new URL(`${url}/oidc`), billing.data!.createAuthClient.authClient.id, undefined,
    oidc.ClientSecretBasic(rotated.data!.rotateAuthClientSecret.clientSecret), { execute: [oidc.allowInsecureRequests] }), { scope: 'auth_clients:read' });
  returned.push(clientToken.access_token);

  const createPat = (name: string) => graphql<{ createPersonalAccessToken: { token: string } }>(url, `mutation ($input: CreatePersonalAccessTokenInput!) {
    createPersonalAccessToken(input: $input) { token } }`, { input: { name, authClientId: consoleClient.id, scopes: ['auth_clients:read'] } }, refreshed.access_token);
  const pat = await createPat('Deploy script');
  returned.push(pat.data!.createPersonalAccessToken.token);
  expect((await graphql(url, '{ viewer { username } }', {}, pat.data!.createPersonalAccessToken.token)).data).toEqual({ viewer: { username: 'root' } });

  // Unexpected database errors, provoked by checks added behind the service's back: one a token's INSERT through
  // MikroORM breaks (its error message holds the statement with its values), one the client INSERT (plain SQL) breaks.
  const database = await connect();
  const stored: string[] = [];
  try {
    await database.query('alter table personal_access_tokens add constraint test_short_name check (char_length(name) < 20)');
    await database.query('alter table auth_clients add constraint test_no_boom check (name not like \'boom%\')');
    const failedPat = await createPat('Too long a name for the column');
    expect(failedPat.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    const failedClient = await create('boom-client');
    expect(failedClient.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');

    for (const [sql, column] of [
      ['select secret_hash as v from auth_client_secrets', 'secret_hash'],
      ['select password_hash as v from users', 'password_hash'],
      ['select token_hash as v from personal_access_tokens', 'token_hash'],
      ['select id as v from oidc_payloads', 'oidc_payloads.id'],
    ] as const) {
      const { rows } = await database.query<{ v: string }>(sql);
      expect([column, rows.length]).not.toEqual([column, 0]);
      stored.push(...rows.map((row) => row.v));
    }
  } finally {
    await database.end();
  }

  await service.stop();
  const logs = `${service.stdout()}\n${service.stderr()}`;
  service = undefined;
  // What is logged names the failure: the error's class, its SQLSTATE and the constraint.
  expect(logs).toMatch(/"message":"Unexpected GraphQL error","path":"createPersonalAccessToken","errorClass":"CheckConstraintViolationException","code":"23514","constraint":"test_short_name"/);
  expect(logs).toMatch(/"path":"createAuthClient","errorClass":"DatabaseError","code":"23514","constraint":"test_no_boom","table":"auth_clients"/);
  for (const [kind, values] of [['returned', returned], ['typed', typed], ['stored', stored]] as const) {
    for (const value of values) {
      expect(value.length).toBeGreaterThan(8);
      if (logs.includes(value)) throw new Error(`a ${kind} secret is in the logs: ${value.slice(0, 6)}…\n${logs}`);
    }
  }
  // No statement text or parameter value from the failed inserts: the names typed are not logged either.
  expect(logs).not.toMatch(/insert into|Too long a name|boom-client|Failing row/i);
}, 90_000);
