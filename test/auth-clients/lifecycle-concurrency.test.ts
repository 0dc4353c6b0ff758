// Lifecycle changes run in transactions (a client's row locked while its tokens are revoked). Under load, everything
// else keeps working meanwhile, in both storage modes: the embedded database serves one session at a time, and a
// transaction held open there must not break the queries of other requests.
import { randomUUID } from 'node:crypto';
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import { createClient, createUser } from '../helpers/fixtures.js';
import { graphql, LIST_AUTH_CLIENTS } from '../helpers/graphql.js';
import { clientConfig, oidc, passwordGrant } from '../helpers/oauth.js';

const t = useTestApp();

it('answers every request while clients are updated, disabled, enabled, stripped of tokens and rotated at once', async () => {
  const console = await createClient(t.current);
  const admin = await createUser(t.current, { isSuperAdmin: true });
  const token = (await passwordGrant(t.current, console, admin, `openid ${API_SCOPE_NAMES.join(' ')}`)).access_token;
  const targets = await Promise.all(Array.from({ length: 4 }, () => createClient(t.current, [AuthClientGrant.PASSWORD])));
  const config = await clientConfig(t.current, console);

  const changes = targets.flatMap(({ id }) => [
    ['mutation($id: ID!) { disableAuthClient(id: $id) { id } }', { id }],
    ['mutation($id: ID!) { enableAuthClient(id: $id) { id } }', { id }],
    ['mutation($id: ID!) { revokeAuthClientTokens(id: $id) { revokedCount } }', { id }],
    ['mutation($input: UpdateAuthClientInput!) { updateAuthClient(input: $input) { id } }', { input: { id, name: `busy ${randomUUID()}` } }],
    ['mutation($id: ID!) { rotateAuthClientSecret(id: $id) { clientSecret } }', { id }],
  ] as const);
  const reads = Array.from({ length: 40 }, (_, i) => (i % 2 === 0
    ? graphql(t.current.url, LIST_AUTH_CLIENTS, { first: 5 }, token)
    : oidc.tokenIntrospection(config, token).then((answer) => ({ status: answer.active ? 200 : 401, errors: undefined }))));
  const results = await Promise.all([...changes.map(([query, variables]) => graphql(t.current.url, query, variables, token)), ...reads]);
  for (const result of results) {
    expect(result.errors).toBeUndefined();
    expect(result.status).toBe(200);
  }
});

it('races the kill switch against reuse of the same refresh tokens without an error, and leaves none of their tokens working', async () => {
  const console = await createClient(t.current);
  const admin = await createUser(t.current, { isSuperAdmin: true });
  const adminToken = (await passwordGrant(t.current, console, admin, `openid ${API_SCOPE_NAMES.join(' ')}`)).access_token;
  const target = await createClient(t.current, [AuthClientGrant.PASSWORD]);
  const config = await clientConfig(t.current, target);
  const users = await Promise.all(Array.from({ length: 12 }, () => createUser(t.current)));
  const signIns = await Promise.all(users.map((user) => passwordGrant(t.current, target, user, 'openid offline_access')));

  // Each refresh token presented three times at once (one use wins, the others are reuses that revoke its grant), while the
  // kill switch runs three times: each deletes the same grants' rows that the reuses delete.
  const refresh = (refreshToken: string) => oidc.refreshTokenGrant(config, refreshToken)
    .then((tokens) => ({ outcome: 'issued', tokens }), (error: unknown) => ({
      outcome: error instanceof oidc.ResponseBodyError ? `${error.status} ${error.error}` : String(error), tokens: undefined,
    }));
  const killSwitch = () => graphql<{ revokeAuthClientTokens: { revokedCount: number } }>(
    t.current.url, 'mutation($id: ID!) { revokeAuthClientTokens(id: $id) { revokedCount } }', { id: target.id }, adminToken,
  );
  const [refreshes, switches] = await Promise.all([
    Promise.all(signIns.flatMap(({ refresh_token: refreshToken }) => [refresh(refreshToken!), refresh(refreshToken!), refresh(refreshToken!)])),
    Promise.all([killSwitch(), killSwitch(), killSwitch()]),
  ]);
  for (const result of switches) {
    expect(result.errors).toBeUndefined();
    expect(result.status).toBe(200);
  }
  for (const { outcome } of refreshes) expect(['issued', '400 invalid_grant']).toContain(outcome);

  // Every token came from a grant that existed before the kill switch: the switch or a reuse revoked it, so even a
  // token written after its grant was deleted is refused.
  const accessTokens = [...signIns, ...refreshes.map(({ tokens }) => tokens).filter((tokens) => tokens !== undefined)].map((tokens) => tokens.access_token);
  for (const accessToken of accessTokens) {
    expect(await oidc.tokenIntrospection(config, accessToken)).toEqual({ active: false });
  }
  // The client itself still works.
  expect((await oidc.tokenIntrospection(config, (await passwordGrant(t.current, target, users[0]!, 'openid')).access_token)).active).toBe(true);
});
