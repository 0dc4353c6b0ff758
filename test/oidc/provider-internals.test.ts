// Each reliance on oidc-provider beyond its documented API (src/oidc/provider-internals.ts) is pinned twice here: the
// library source still has the shape we lean on, and the behaviour we build on it still holds. An upgrade that changes
// either fails this file, not a user's login.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as jose from 'jose';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { GRANT_TYPE_NOT_ALLOWED } from '../../src/oidc/provider-internals.js';
import { useTestApp } from '../helpers/app.js';
import { createClient, createUser, type TestClient } from '../helpers/fixtures.js';
import { clientConfig, oauthError, oidc, passwordGrant } from '../helpers/oauth.js';

const t = useTestApp();
let client: TestClient;

beforeAll(async () => {
  client = await createClient(t.current);
});

const library = dirname(createRequire(import.meta.url).resolve('oidc-provider/package.json'));
const source = (path: string) => readFile(join(library, 'lib', path), 'utf8');

describe('the client secret comparison (compareClientSecretsWith)', () => {
  it('is still the method oidc-provider calls for client_secret_basic and client_secret_post', async () => {
    expect(await source('shared/client_auth.js')).toContain('ctx.oidc.client.compareClientSecret(clientSecret)');
    expect(await source('models/client.js')).toMatch(/compareClientSecret\(actual\) \{/);
  });

  it('checks the presented secret against the stored hash: right one in, wrong one out, the hash itself out', async () => {
    const user = await createUser(t.current);
    expect((await passwordGrant(t.current, client, user, 'openid')).access_token).toEqual(expect.any(String));
    expect(await oauthError(passwordGrant(t.current, { id: client.id, secret: `${client.secret}x` }, user, 'openid')))
      .toMatchObject({ error: 'invalid_client' });
    const stored = await t.current.em().execute<Array<{ secret_hash: string }>>('select secret_hash from auth_clients where id = ?', [client.id]);
    expect(await oauthError(passwordGrant(t.current, { id: client.id, secret: stored[0]!.secret_hash }, user, 'openid')))
      .toMatchObject({ error: 'invalid_client' });
  });
});

describe('the text of a refused grant type (GRANT_TYPE_NOT_ALLOWED)', () => {
  it('is still the description oidc-provider gives, which is mapped to unauthorized_client', async () => {
    expect(await source('actions/token.js')).toContain(`'${GRANT_TYPE_NOT_ALLOWED}'`);
    const codeOnly = await createClient(t.current, [AuthClientGrant.PERSONAL_ACCESS]);
    expect(await oauthError(passwordGrant(t.current, codeOnly, await createUser(t.current), 'openid')))
      .toMatchObject({ error: 'unauthorized_client', status: 400 });
  });
});

describe('a grantless opaque access token of our own value (grantlessOpaqueAccessToken)', () => {
  it('is still stored under the value given, as opaque, and found and introspected as one', async () => {
    expect(await source('models/formats/index.js')).toMatch(/switch \(token\.format\) \{\s*case 'opaque':/);
    const patClient = await createClient(t.current, [AuthClientGrant.PERSONAL_ACCESS]);
    const user = await createUser(t.current);
    const { token } = await t.current.app.services.personalAccessTokens.create(t.current.em(), user.user, { name: 'pinned', authClientId: patClient.id }, null);
    const found = await t.current.app.provider.AccessToken.find(token);
    // Without the format set by hand, saving throws 'invalid format resolved' and create() fails.
    expect(found).toMatchObject({ jti: token, clientId: patClient.id, accountId: user.user.id });
    expect(found?.grantId).toBeUndefined();
    expect((await oidc.tokenIntrospection(await clientConfig(t.current, client), token)).active).toBe(true);
  });
});

describe('the scope an ID token of the password grant is filtered by (setIdTokenScope)', () => {
  it('is still the `scope` field oidc-provider masks the claims with', async () => {
    expect(await source('models/id_token.js')).toContain('mask.scope(this.scope)');
    const user = await createUser(t.current);
    const claimsFor = async (scope: string) => jose.decodeJwt((await passwordGrant(t.current, client, user, scope)).id_token!);
    expect(await claimsFor('openid')).not.toHaveProperty('preferred_username');
    expect(await claimsFor('openid profile')).toMatchObject({ preferred_username: user.username });
    expect(await claimsFor('openid profile')).not.toHaveProperty('email');
  });
});
