// Who may call what: every permission path through GraphQL over HTTP, with tokens from the real token endpoint.
import { PERMISSION_CATALOGUE, PERMISSIONS } from '../../src/access-control/permissions.js';
import { useTestApp } from '../helpers/app.js';
import {
  changeInSql, createClient, createGroup, createUser, setActive, type TestClient,
} from '../helpers/fixtures.js';
import { CREATE_AUTH_CLIENT, graphql, LIST_AUTH_CLIENTS } from '../helpers/graphql.js';
import { clientConfig, oidc, passwordGrant } from '../helpers/oauth.js';

const t = useTestApp();
let client: TestClient;

beforeAll(async () => {
  client = await createClient(t.current);
});

async function signIn(options: Parameters<typeof createUser>[1] = {}) {
  const user = await createUser(t.current, options);
  const tokens = await passwordGrant(t.current, client, user);
  return { ...user, token: tokens.access_token };
}

const input = (name: string) => ({ input: { name, grants: ['PASSWORD'] } });
const codes = (result: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => result.errors?.map((e) => e.extensions?.code);

describe('an anonymous caller', () => {
  it('gets UNAUTHENTICATED from authClients, authClient, viewer and createAuthClient', async () => {
    for (const query of [LIST_AUTH_CLIENTS, '{ authClient(id: "00000000-0000-0000-0000-000000000000") { id } }', '{ viewer { id } }']) {
      const result = await graphql(t.current.url, query);
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    }
    const created = await graphql(t.current.url, CREATE_AUTH_CLIENT, input('Anonymous attempt'));
    expect(codes(created)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('a signed-in user without permissions', () => {
  it('sees themselves as viewer, but gets FORBIDDEN for auth clients', async () => {
    const user = await signIn();
    const viewer = await graphql<{ viewer: { username: string; effectivePermissions: string[] } }>(
      t.current.url, '{ viewer { username effectivePermissions isSuperAdmin } }', {}, user.token,
    );
    expect(viewer.data?.viewer).toEqual({ username: user.username, effectivePermissions: [], isSuperAdmin: false });

    const list = await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, user.token);
    expect(codes(list)).toEqual(['FORBIDDEN']);
    expect(list.errors?.[0]?.message).toMatch(/view-auth_clients/);
    const created = await graphql(t.current.url, CREATE_AUTH_CLIENT, input('Forbidden attempt'), user.token);
    expect(codes(created)).toEqual(['FORBIDDEN']);
  });
});

describe('a user with view-auth_clients only', () => {
  it('lists and reads clients but cannot create one', async () => {
    const user = await signIn({ permissions: [PERMISSIONS.viewAuthClients] });
    const list = await graphql<{ authClients: { totalCount: number } }>(t.current.url, LIST_AUTH_CLIENTS, {}, user.token);
    expect(list.errors).toBeUndefined();
    expect(list.data?.authClients.totalCount).toBeGreaterThanOrEqual(1);

    const one = await graphql<{ authClient: { id: string } }>(t.current.url, 'query($id: ID!) { authClient(id: $id) { id } }', { id: client.id }, user.token);
    expect(one.data?.authClient.id).toBe(client.id);

    const created = await graphql(t.current.url, CREATE_AUTH_CLIENT, input('View only attempt'), user.token);
    expect(codes(created)).toEqual(['FORBIDDEN']);
    expect(created.errors?.[0]?.message).toMatch(/create-auth_clients/);
  });
});

describe('a user who gets create-auth_clients through a group', () => {
  it('can create a client, and the permission shows in effectivePermissions', async () => {
    const user = await createUser(t.current);
    await createGroup(t.current, [PERMISSIONS.createAuthClients], [user]);
    const { access_token: token } = await passwordGrant(t.current, client, user);

    const created = await graphql<{ createAuthClient: { authClient: { name: string } } }>(
      t.current.url, CREATE_AUTH_CLIENT, input('Made through a group'), token,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data?.createAuthClient.authClient.name).toBe('Made through a group');

    const viewer = await graphql<{ viewer: { effectivePermissions: string[] } }>(t.current.url, '{ viewer { effectivePermissions } }', {}, token);
    expect(viewer.data?.viewer.effectivePermissions).toEqual(['create-auth_clients']);
    // Creating does not imply viewing.
    expect(codes(await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, token))).toEqual(['FORBIDDEN']);
  });

  it('takes effect on the next request, with the same token', async () => {
    const user = await signIn();
    expect(codes(await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, user.token))).toEqual(['FORBIDDEN']);
    await createGroup(t.current, [PERMISSIONS.viewAuthClients], [user]);
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, user.token)).errors).toBeUndefined();
  });
});

describe('a Super Admin', () => {
  it('passes every rule without any permission granted', async () => {
    const admin = await signIn({ isSuperAdmin: true });
    const created = await graphql(t.current.url, CREATE_AUTH_CLIENT, input('Made by a Super Admin'), admin.token);
    expect(created.errors).toBeUndefined();
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, admin.token)).errors).toBeUndefined();
    const viewer = await graphql<{ viewer: { effectivePermissions: string[]; isSuperAdmin: boolean } }>(
      t.current.url, '{ viewer { effectivePermissions isSuperAdmin } }', {}, admin.token,
    );
    expect(viewer.data?.viewer).toEqual({
      isSuperAdmin: true,
      // The whole catalogue, the Users and Groups permissions included.
      effectivePermissions: PERMISSION_CATALOGUE.map((permission) => permission.name).sort(),
    });
  });
});

describe('a bad token', () => {
  it.each([
    ['a garbage token', 'Bearer not-a-token'],
    ['a well-formed but unknown token', `Bearer ${'A'.repeat(43)}`],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['an empty bearer', 'Bearer '],
  ])('gets 401 UNAUTHENTICATED for %s, never anonymous access', async (_case, authorization) => {
    const response = await fetch(`${t.current.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const body = await response.json() as { errors: Array<{ extensions: { code: string } }>; data?: unknown };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
    expect(body.data).toBeUndefined();
  });

  it('is refused on the very next request after revocation (RFC 7009)', async () => {
    const user = await signIn({ permissions: [PERMISSIONS.viewAuthClients] });
    expect((await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, user.token)).errors).toBeUndefined();

    await oidc.tokenRevocation(await clientConfig(t.current, client), user.token);

    const after = await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, user.token);
    expect(after.status).toBe(401);
    expect(codes(after)).toEqual(['UNAUTHENTICATED']);
  });

  it('is refused once its user is deactivated', async () => {
    const user = await signIn({ permissions: [PERMISSIONS.viewAuthClients] });
    await setActive(t.current, user.user, false);
    expect(codes(await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, user.token))).toEqual(['UNAUTHENTICATED']);
  });

  it('is refused once it has expired', async () => {
    const user = await signIn({ permissions: [PERMISSIONS.viewAuthClients] });
    const { grantId } = (await t.current.app.provider.AccessToken.find(user.token))!;
    await changeInSql(t.current, "update oidc_payloads set expires_at = now() - interval '1 second' where model = 'AccessToken' and grant_id = ?", [grantId]);
    expect(codes(await graphql(t.current.url, LIST_AUTH_CLIENTS, {}, user.token))).toEqual(['UNAUTHENTICATED']);
  });
});
