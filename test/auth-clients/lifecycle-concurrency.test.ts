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
