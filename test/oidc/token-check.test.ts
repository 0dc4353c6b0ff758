// The one token check (src/oidc/token-check.ts). /graphql, introspection, userinfo and refresh give the same answer
// about a token; and what the check remembers of a token never outlives a change it rests on, whoever makes it (this
// instance, another one, or plain SQL). Each /graphql case first uses the token, so it is remembered.
import { PERMISSIONS } from '../../src/access-control/permissions.js';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import {
  heard, startApp, useTestApp, type TestApp,
} from '../helpers/app.js';
import {
  changeInSql, createClient, createGroup, createUser, type TestClient,
} from '../helpers/fixtures.js';
import { graphql, LIST_AUTH_CLIENTS } from '../helpers/graphql.js';
import { clientConfig, oidc, passwordGrant } from '../helpers/oauth.js';
import { serverUrl } from '../helpers/storage.js';

const t = useTestApp();
let client: TestClient;

beforeAll(async () => {
  client = await createClient(t.current);
});

async function signIn(permissions: Array<(typeof PERMISSIONS)[keyof typeof PERMISSIONS]> = [PERMISSIONS.viewAuthClients]) {
  const user = await createUser(t.current, { permissions });
  const tokens = await passwordGrant(t.current, client, user);
  return { ...user, token: tokens.access_token };
}

const outcome = async (token: string, app: TestApp = t.current) => {
  const result = await graphql(app.url, LIST_AUTH_CLIENTS, { first: 1 }, token);
  return result.status === 401 ? 'UNAUTHENTICATED' : (result.errors?.[0]?.extensions?.code ?? 'OK');
};
/** A change in plain SQL, once this instance has heard it (as the service's own writes wait to have). */
const sql = (text: string, values: unknown[] = []) => changeInSql(t.current, text, values);

it('refuses the token of a user deactivated or deleted meanwhile', async () => {
  const first = await signIn();
  expect(await outcome(first.token)).toBe('OK');
  await sql('update users set is_active = false where id = ?', [first.user.id]);
  expect(await outcome(first.token)).toBe('UNAUTHENTICATED');

  const second = await signIn();
  expect(await outcome(second.token)).toBe('OK');
  await sql('delete from users where id = ?', [second.user.id]);
  expect(await outcome(second.token)).toBe('UNAUTHENTICATED');
});

it('applies a permission taken away, directly or through a group, and one given', async () => {
  const direct = await signIn();
  expect(await outcome(direct.token)).toBe('OK');
  await sql('delete from user_permissions where user_id = ?', [direct.user.id]);
  expect(await outcome(direct.token)).toBe('FORBIDDEN');
  await sql('insert into user_permissions (user_id, permission_name) values (?, ?)', [direct.user.id, PERMISSIONS.viewAuthClients]);
  expect(await outcome(direct.token)).toBe('OK');

  const member = await signIn([]);
  expect(await outcome(member.token)).toBe('FORBIDDEN');
  await createGroup(t.current, [PERMISSIONS.viewAuthClients], [member]);
  await t.current.app.changes.sync();
  expect(await outcome(member.token)).toBe('OK');
  await sql('delete from group_members where user_id = ?', [member.user.id]);
  expect(await outcome(member.token)).toBe('FORBIDDEN');
});

it('refuses a token revoked at the revocation endpoint, or whose client was deleted', async () => {
  const user = await signIn();
  expect(await outcome(user.token)).toBe('OK');
  await oidc.tokenRevocation(await clientConfig(t.current, client), user.token);
  expect(await outcome(user.token)).toBe('UNAUTHENTICATED');

  const ownClient = await createClient(t.current, [AuthClientGrant.PASSWORD]);
  const other = await createUser(t.current, { permissions: [PERMISSIONS.viewAuthClients] });
  const { access_token: token } = await passwordGrant(t.current, ownClient, other);
  expect(await outcome(token)).toBe('OK');
  await sql('delete from auth_clients where id = ?', [ownClient.id]);
  expect(await outcome(token)).toBe('UNAUTHENTICATED');
});

(serverUrl ? it : it.skip)('applies a change made on one instance to the next request on another', async () => {
  const other = await startApp(t.current.storage);
  try {
    const user = await signIn();
    expect(await outcome(user.token, other)).toBe('OK');
    expect(await outcome(user.token)).toBe('OK');
    // The change reaches the other instance a moment after its commit; from then on its next request follows it.
    const permissionsHeard = heard(t.current, 'permissions');
    await other.em().execute('delete from user_permissions where user_id = ?', [user.user.id]);
    await permissionsHeard;
    expect(await outcome(user.token)).toBe('FORBIDDEN');
    const usersHeard = heard(other, 'users');
    await t.current.em().execute('update users set is_active = false where id = ?', [user.user.id]);
    await usersHeard;
    expect(await outcome(user.token, other)).toBe('UNAUTHENTICATED');
  } finally {
    await other.stop();
  }
});

(serverUrl ? it : it.skip)('introspects on one instance a token revoked, or whose grant was revoked, on another', async () => {
  const other = await startApp(t.current.storage);
  try {
    const [here, there] = await Promise.all([clientConfig(t.current, client), clientConfig(other, client)]);
    const active = async (token: string) => (await oidc.tokenIntrospection(there, token)).active;
    // Introspected twice there first: the second answer comes from what that instance keeps in memory.
    const revoked = await signIn();
    expect([await active(revoked.token), await active(revoked.token)]).toEqual([true, true]);
    const tokenHeard = heard(other, 'access_tokens');
    await oidc.tokenRevocation(here, revoked.token);
    await tokenHeard;
    expect(await active(revoked.token)).toBe(false);

    const ungranted = await signIn();
    expect([await active(ungranted.token), await active(ungranted.token)]).toEqual([true, true]);
    const { grantId } = (await t.current.app.provider.AccessToken.find(ungranted.token))!;
    const grantHeard = heard(other, 'grants');
    await t.current.em().execute("delete from oidc_payloads where model = 'Grant' and id in (select grant_key from oidc_payloads where grant_id = ?)", [grantId]);
    await grantHeard;
    expect(await active(ungranted.token)).toBe(false);
  } finally {
    await other.stop();
  }
});

describe('every endpoint agrees about a token', () => {
  /** What /graphql, introspection, userinfo and a refresh say of a token and its refresh token. */
  async function answers(tokens: { access_token: string; refresh_token?: string }) {
    const config = await clientConfig(t.current, client);
    const introspected = await oidc.tokenIntrospection(config, tokens.access_token);
    const userinfo = await fetch(`${t.current.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const refresh = await oidc.refreshTokenGrant(config, tokens.refresh_token!).then(() => 'OK', (error: unknown) => (error as { error?: string }).error ?? String(error));
    return {
      graphql: await outcome(tokens.access_token), introspection: introspected.active, userinfo: userinfo.status, refresh,
    };
  }
  const REFUSED = {
    graphql: 'UNAUTHENTICATED', introspection: false, userinfo: 401, refresh: 'invalid_grant',
  };
  const signInOffline = async () => {
    const user = await createUser(t.current, { permissions: [PERMISSIONS.viewAuthClients] });
    return { user, tokens: await passwordGrant(t.current, client, user, 'openid offline_access auth_clients:read') };
  };

  it('refuses everywhere the tokens of a user deactivated meanwhile', async () => {
    const { user, tokens } = await signInOffline();
    expect(await outcome(tokens.access_token)).toBe('OK');
    await sql('update users set is_active = false where id = ?', [user.user.id]);
    expect(await answers(tokens)).toEqual(REFUSED);
  });

  it('refuses everywhere the tokens of a grant revoked behind their back (its row deleted, the tokens left)', async () => {
    const { tokens } = await signInOffline();
    expect(await outcome(tokens.access_token)).toBe('OK');
    const { grantId } = (await t.current.app.provider.AccessToken.find(tokens.access_token))!;
    await sql("delete from oidc_payloads where model = 'Grant' and id in (select grant_key from oidc_payloads where grant_id = ?)", [grantId]);
    expect(await answers(tokens)).toEqual(REFUSED);
  });

  it('answers a working token alike everywhere', async () => {
    const { tokens } = await signInOffline();
    expect(await answers(tokens)).toEqual({
      graphql: 'OK', introspection: true, userinfo: 200, refresh: 'OK',
    });
  });

  it('makes a personal access token inactive at introspection once its client is deleted, as at /graphql', async () => {
    const patClient = await createClient(t.current, [AuthClientGrant.PERSONAL_ACCESS]);
    const user = await createUser(t.current, { permissions: [PERMISSIONS.viewAuthClients] });
    const { personalAccessTokens } = t.current.app.services;
    const { token } = await personalAccessTokens.create(t.current.em(), user.user, { name: 'reader', authClientId: patClient.id, scopes: ['auth_clients:read'] }, null);
    const config = await clientConfig(t.current, client);
    expect((await oidc.tokenIntrospection(config, token)).active).toBe(true);
    expect(await outcome(token)).toBe('OK');
    await sql('delete from auth_clients where id = ?', [patClient.id]);
    expect((await oidc.tokenIntrospection(config, token)).active).toBe(false);
    expect(await outcome(token)).toBe('UNAUTHENTICATED');
  });
});
