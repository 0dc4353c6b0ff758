// The client credentials grant (machine to machine) through openid-client and real HTTP: who may use it, what its token
// carries, and what it may do at /graphql acting as its client, with the permissions granted to that client alone.
import { PERMISSIONS } from '../../src/access-control/permissions.js';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import {
  changeInSql, createClient, createUser, settled, type TestClient,
} from '../helpers/fixtures.js';
import { dpopKey, dpopProof, graphqlWith } from '../helpers/dpop.js';
import { graphql, LIST_AUTH_CLIENTS } from '../helpers/graphql.js';
import {
  clientConfig, oauthError, oidc, passwordGrant,
} from '../helpers/oauth.js';
import { runCli } from '../helpers/process.js';

const t = useTestApp();

const machine = (scopes: string[] = ['auth_clients:read', 'auth_clients:write']) => createClient(t.current, [AuthClientGrant.CLIENT_CREDENTIALS], [], scopes);

async function clientCredentials(client: TestClient, scope = 'auth_clients:read') {
  return oidc.clientCredentialsGrant(await clientConfig(t.current, client), { scope });
}

const cli = (args: string[]) => runCli(args, t.current.storage.env);

async function grantThroughCli(client: TestClient, permission: string) {
  const result = await cli(['permission:grant', '--client', client.id, '--permission', permission, '--json']);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  // The CLI wrote behind the service's back: wait until the service has heard it.
  await settled(t.current);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

const LIST_WITH_PERMISSIONS = '{ authClients(first: 100) { edges { node { id permissions } } } }';

describe('the grant at /oidc/token', () => {
  it('issues a client with CLIENT_CREDENTIALS an opaque bearer token of the default lifetime, with the scopes it asked for', async () => {
    const tokens = await clientCredentials(await machine(), 'auth_clients:read auth_clients:write');
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: 'auth_clients:read auth_clients:write' });
    expect(tokens.access_token).not.toContain('.');
  });

  it('never issues a refresh token, even for offline_access, and such a client may not use the refresh_token grant', async () => {
    const client = await machine();
    const tokens = await clientCredentials(client, 'offline_access auth_clients:read');
    expect(tokens.refresh_token).toBeUndefined();
    expect(await oauthError(oidc.refreshTokenGrant(await clientConfig(t.current, client), 'any-refresh-token')))
      .toMatchObject({ error: 'unauthorized_client', status: 400 });
  });

  it('gives unauthorized_client to a client without the grant', async () => {
    const others: Array<[AuthClientGrant[], string[]]> = [
      [[AuthClientGrant.PASSWORD], []],
      [[AuthClientGrant.AUTHORIZATION_CODE], ['https://app.example.com/cb']],
      [[AuthClientGrant.PERSONAL_ACCESS], []],
    ];
    for (const [grants, redirectUris] of others) {
      const other = await createClient(t.current, grants, redirectUris);
      expect(await oauthError(clientCredentials(other))).toMatchObject({ error: 'unauthorized_client', status: 400 });
    }
  });

  it('gives invalid_scope for a scope the client may not ask for, and invalid_client for a wrong secret', async () => {
    const client = await machine(['auth_clients:read']);
    expect(await oauthError(clientCredentials(client, 'auth_clients:write'))).toMatchObject({ error: 'invalid_scope', status: 400 });
    // A name outside the catalogue is dropped (as oidc-provider does), and the answer says what was granted.
    expect(await clientCredentials(client, 'auth_clients:read admin')).toMatchObject({ scope: 'auth_clients:read' });
    expect(await oauthError(clientCredentials({ id: client.id, secret: 'acs_wrong' }))).toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('is introspected with client_id and no sub, by the client itself only', async () => {
    const client = await machine();
    const { access_token: token } = await clientCredentials(client);
    const introspection = await oidc.tokenIntrospection(await clientConfig(t.current, client), token);
    expect(introspection).toMatchObject({ active: true, client_id: client.id, scope: 'auth_clients:read', token_type: 'Bearer' });
    expect(introspection).not.toHaveProperty('sub');
    expect(await oidc.tokenIntrospection(await clientConfig(t.current, await machine()), token)).toEqual({ active: false });

    await oidc.tokenRevocation(await clientConfig(t.current, client), token);
    expect(await oidc.tokenIntrospection(await clientConfig(t.current, client), token)).toEqual({ active: false });
  });
});

describe('its token at /graphql acts as the client', () => {
  it('holds no permission by default: FORBIDDEN, no viewer, and no personal access tokens', async () => {
    const { access_token: token } = await clientCredentials(await machine());
    const list = await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token);
    expect(list.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(list.errors?.[0]?.extensions).not.toHaveProperty('requiredScope');

    expect(await graphql(t.current.url, '{ viewer { id } }', {}, token)).toMatchObject({ status: 200, data: { viewer: null } });
  });

  it('is refused what only a user has, such as personal access tokens, whatever its scopes', async () => {
    const client = await createClient(t.current, [AuthClientGrant.CLIENT_CREDENTIALS, AuthClientGrant.PERSONAL_ACCESS]);
    const { access_token: token } = await clientCredentials(client, 'personal_access_tokens');
    const list = await graphql(t.current.url, '{ personalAccessTokens { totalCount } }', {}, token);
    expect(list.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    const created = await graphql(
      t.current.url,
      'mutation($input: CreatePersonalAccessTokenInput!) { createPersonalAccessToken(input: $input) { token } }',
      { input: { name: 'from a machine', authClientId: client.id } },
      token,
    );
    expect(created.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('holds what the CLI grants the client, on its next request, and the scope is still required', async () => {
    const client = await machine();
    const { access_token: readToken } = await clientCredentials(client, 'auth_clients:read');
    const { access_token: writeOnly } = await clientCredentials(client, 'auth_clients:write');
    // Checked once before the grant: what is remembered of the token must be forgotten when the grant is made.
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, readToken)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    expect(await grantThroughCli(client, PERMISSIONS.viewAuthClients)).toEqual({ client: client.id, permission: PERMISSIONS.viewAuthClients });
    const list = await graphql<{ authClients: { edges: Array<{ node: { id: string; permissions: string[] } }> } }>(
      t.current.url, LIST_WITH_PERMISSIONS, {}, readToken,
    );
    expect(list.errors).toBeUndefined();
    const nodes = list.data!.authClients.edges.map((edge) => edge.node);
    expect(nodes.find((node) => node.id === client.id)?.permissions).toEqual([PERMISSIONS.viewAuthClients]);

    const withoutScope = await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, writeOnly);
    expect(withoutScope.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'auth_clients:read' });
  });

  it('holds only its own client\'s permissions, never another client\'s nor a user\'s', async () => {
    const granted = await machine();
    await grantThroughCli(granted, PERMISSIONS.viewAuthClients);
    await createUser(t.current, { permissions: [PERMISSIONS.viewAuthClients] });
    const { access_token: token } = await clientCredentials(await machine());
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lists no permissions for a new client', async () => {
    const admin = await createUser(t.current, { isSuperAdmin: true });
    const { access_token: adminToken } = await passwordGrant(t.current, await createClient(t.current), admin);
    const client = await machine();
    const result = await graphql<{ authClient: { permissions: string[]; grants: string[] } }>(
      t.current.url, 'query($id: ID!) { authClient(id: $id) { grants permissions } }', { id: client.id }, adminToken,
    );
    expect(result.data?.authClient).toEqual({ grants: ['CLIENT_CREDENTIALS'], permissions: [] });
  });

  it('stops working at once when the client loses the grant, and when the client is deleted', async () => {
    const client = await machine();
    await grantThroughCli(client, PERMISSIONS.viewAuthClients);
    const { access_token: token } = await clientCredentials(client);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).errors).toBeUndefined();

    await changeInSql(t.current, "update auth_clients set grants = '{personal_access}' where id = ?", [client.id]);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).status).toBe(401);

    await changeInSql(t.current, "update auth_clients set grants = '{client_credentials}' where id = ?", [client.id]);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).errors).toBeUndefined();
    await changeInSql(t.current, 'delete from auth_clients where id = ?', [client.id]);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).status).toBe(401);
    expect(await t.current.em().execute('select count(*)::int as count from client_permissions where client_id = ?', [client.id])).toEqual([{ count: 0 }]);
  });

  it('loses a scope at once when the client may no longer ask for it', async () => {
    const client = await machine();
    await grantThroughCli(client, PERMISSIONS.viewAuthClients);
    const { access_token: token } = await clientCredentials(client);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).errors).toBeUndefined();
    await changeInSql(t.current, "update auth_clients set scopes = '{auth_clients:write}' where id = ?", [client.id]);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'auth_clients:read' });
  });

  it('stops working at once when revoked, after being accepted', async () => {
    const client = await machine();
    await grantThroughCli(client, PERMISSIONS.viewAuthClients);
    const { access_token: token } = await clientCredentials(client);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).errors).toBeUndefined();
    await oidc.tokenRevocation(await clientConfig(t.current, client), token);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).status).toBe(401);
  });

  it('bound by DPoP, needs a proof by its key at /graphql', async () => {
    const client = await machine();
    await grantThroughCli(client, PERMISSIONS.viewAuthClients);
    const key = await dpopKey();
    const config = await clientConfig(t.current, client);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'auth_clients:read' }, { DPoP: oidc.getDPoPHandle(config, key.keyPair) });
    expect(tokens.token_type).toBe('dpop');
    const token = tokens.access_token;
    const query = '{ authClients(first: 1) { totalCount } }';

    const asBearer = await graphqlWith(t.current.url, query, { authorization: `Bearer ${token}` });
    expect(asBearer.status).toBe(401);
    const proof = await dpopProof(key, { htu: `${t.current.url}/graphql`, token });
    const withProof = await graphqlWith(t.current.url, query, { authorization: `DPoP ${token}`, dpop: proof });
    expect(withProof.errors).toBeUndefined();
    expect(withProof.data).toMatchObject({ authClients: { totalCount: expect.any(Number) } });
  });
});

describe('permission:grant --client', () => {
  it('with client:create --grant client_credentials, sets up a machine client from the shell alone', async () => {
    const created = await cli(['client:create', '--name', 'Nightly sync', '--grant', 'client_credentials', '--scope', 'auth_clients:read', '--json']);
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    const { id, secret, grants, redirectUris } = JSON.parse(created.stdout) as { id: string; secret: string; grants: string[]; redirectUris: string[] };
    expect({ grants, redirectUris }).toEqual({ grants: ['client_credentials'], redirectUris: [] });
    const client = { id, secret };
    const text = await cli(['permission:grant', '--client', id, '--permission', PERMISSIONS.viewAuthClients]);
    expect(text).toMatchObject({ code: 0, stdout: `Granted ${PERMISSIONS.viewAuthClients} to the auth client "Nightly sync" (${id})\n` });
    await settled(t.current);
    const { access_token: token } = await clientCredentials(client);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token)).errors).toBeUndefined();
  });

  it('refuses an unknown client, a malformed id, and more than one holder', async () => {
    const unknown = await cli(['permission:grant', '--client', '00000000-0000-0000-0000-000000000000', '--permission', PERMISSIONS.viewAuthClients]);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/no auth client/) });
    const malformed = await cli(['permission:grant', '--client', 'not-a-uuid', '--permission', PERMISSIONS.viewAuthClients]);
    expect(malformed).toMatchObject({ code: 1, stderr: expect.stringMatching(/no auth client/) });
    const client = await machine();
    const unknownPermission = await cli(['permission:grant', '--client', client.id, '--permission', 'fly-auth_clients']);
    expect(unknownPermission).toMatchObject({ code: 1, stderr: expect.stringMatching(/no permission named/) });
    const both = await cli(['permission:grant', '--client', client.id, '--username', 'someone', '--permission', PERMISSIONS.viewAuthClients]);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringMatching(/exactly one of --username, --group and --client/) });
  });

  it('granting twice changes nothing, and only the first grant is audited, with the actor cli', async () => {
    const client = await machine();
    await grantThroughCli(client, PERMISSIONS.viewAuthClients);
    await grantThroughCli(client, PERMISSIONS.viewAuthClients);
    expect(await t.current.app.services.authClients.permissionsOf(client.id)).toEqual([PERMISSIONS.viewAuthClients]);
    const events = await t.current.em().execute<Array<{ actor_type: string; changes: unknown }>>(
      "select actor_type, changes from audit_events where action = 'permission.granted' and target_type = 'auth_client' and target_id = ?",
      [client.id],
    );
    expect(events).toEqual([{ actor_type: 'cli', changes: { permissions: { before: null, after: PERMISSIONS.viewAuthClients } } }]);
  });
});
