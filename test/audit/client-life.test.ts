// The audit log of one auth client's whole life through GraphQL, in order: who did it, from where, and what changed;
// a refused change leaves no event; and no secret the client ever had appears anywhere in the table.
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { useTestApp } from '../helpers/app.js';
import { createClient, createUser } from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { passwordGrant } from '../helpers/oauth.js';

const t = useTestApp();

interface Event {
  actorType: string; actorId: string | null; action: string; targetId: string | null; ip: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
}

it('records create, update, disable, enable, rotate, revoke secret, revoke tokens and delete, in order, with actor, IP and diff', async () => {
  const console = await createClient(t.current);
  const admin = await createUser(t.current, { isSuperAdmin: true });
  const token = (await passwordGrant(t.current, console, admin, `openid ${API_SCOPE_NAMES.join(' ')}`)).access_token;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const gql = async (query: string, variables: Record<string, unknown>): Promise<any> => {
    const result = await graphql(t.current.url, query, variables, token);
    return result;
  };
  const created = await gql('mutation($input: CreateAuthClientInput!) { createAuthClient(input: $input) { clientSecret authClient { id secrets { id } } } }', {
    input: { name: 'Whole Life', grants: ['PASSWORD'] },
  });
  const { id } = created.data.createAuthClient.authClient;
  const firstSecret: string = created.data.createAuthClient.clientSecret;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ok = async (query: string, variables: Record<string, unknown>): Promise<any> => {
     
    const result = await gql(query, variables);
     
    expect(result.errors).toBeUndefined();
     
    return result.data;
  };
  await ok('mutation($input: UpdateAuthClientInput!) { updateAuthClient(input: $input) { id } }', { input: { id, name: 'Whole Life 2', accessTokenLifetime: 600 } });
  // Refused: no event.
  expect((await gql('mutation($input: UpdateAuthClientInput!) { updateAuthClient(input: $input) { id } }', { input: { id, accessTokenLifetime: 5 } })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  await ok('mutation($id: ID!) { disableAuthClient(id: $id) { id } }', { id });
  await ok('mutation($id: ID!) { enableAuthClient(id: $id) { id } }', { id });
  const rotated = await ok('mutation($id: ID!) { rotateAuthClientSecret(id: $id, previousSecretExpiresIn: 60) { clientSecret authClient { secrets { id } } } }', { id });
  const oldSecretId = rotated.rotateAuthClientSecret.authClient.secrets[1].id as string;
  // Refused: the new secret is the last one left after revoking the old, so revoking it too is refused — and leaves no event.
  await ok('mutation($id: ID!, $secretId: ID!) { revokeAuthClientSecret(id: $id, secretId: $secretId) { id } }', { id, secretId: oldSecretId });
  const newSecretId = rotated.rotateAuthClientSecret.authClient.secrets[0].id as string;
  expect((await gql('mutation($id: ID!, $secretId: ID!) { revokeAuthClientSecret(id: $id, secretId: $secretId) { id } }', { id, secretId: newSecretId })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  await ok('mutation($id: ID!) { revokeAuthClientTokens(id: $id) { revokedCount } }', { id });
  await ok('mutation($id: ID!) { deleteAuthClient(id: $id) { deletedAuthClientId } }', { id });

  const listed = await ok(`query($targetId: String) { auditEvents(first: 50, targetId: $targetId) {
    edges { node { actorType actorId action targetId ip changes } } } }`, { targetId: id });
  const life = (listed.auditEvents.edges as Array<{ node: Event }>).map(({ node }) => node).reverse();
  expect(life.map((event) => event.action)).toEqual([
    'auth_client.created', 'auth_client.updated', 'auth_client.disabled', 'auth_client.enabled', 'auth_client.secret_rotated',
    'auth_client.secret_revoked', 'auth_client.tokens_revoked', 'auth_client.deleted',
  ]);
  for (const event of life) expect(event).toMatchObject({ actorType: 'user', actorId: admin.user.id, targetId: id, ip: '127.0.0.1' });
  expect(life[1]!.changes).toEqual({ name: { before: 'Whole Life', after: 'Whole Life 2' }, accessTokenLifetime: { before: 3600, after: 600 } });
  expect(life[2]!.changes).toEqual({ enabled: { before: true, after: false } });
  expect(life[5]!.changes).toEqual({ secretId: { before: oldSecretId, after: null } });
  expect(life[6]!.changes).toEqual({ revokedCount: { before: null, after: 0 } });
  expect(life[7]!.changes?.name).toEqual({ before: 'Whole Life 2', after: null });

  const dump = JSON.stringify(await t.current.em().execute('select * from audit_events'));
  for (const secret of [firstSecret, rotated.rotateAuthClientSecret.clientSecret as string]) {
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(secret.slice(4));
  }
});
