// Each reliance on oidc-provider beyond its documented API (src/oidc/provider-internals.ts) is pinned twice here: the
// library source still has the shape we lean on, and the behaviour we build on it still holds. An upgrade that changes
// either fails this file, not a user's login.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as jose from 'jose';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import {
  applyRefreshTokenBindings, checkDpopReplay, checkDpopRequired, clientMetadataValue, GRANT_TYPE_NOT_ALLOWED, refreshChainStartedAt, validateDpop, type DpopProof,
} from '../../src/oidc/provider-internals.js';
import { ACCESS_TOKEN_LIFETIME, SKIP_CONSENT } from '../../src/oidc/client-metadata.js';
import { useTestApp } from '../helpers/app.js';
import { dpopKey, dpopProof } from '../helpers/dpop.js';
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

  it('checks the presented secret against the stored hashes: right one in, wrong one out, the hash itself out', async () => {
    const user = await createUser(t.current);
    expect((await passwordGrant(t.current, client, user, 'openid')).access_token).toEqual(expect.any(String));
    expect(await oauthError(passwordGrant(t.current, { id: client.id, secret: `${client.secret}x` }, user, 'openid')))
      .toMatchObject({ error: 'invalid_client' });
    const stored = await t.current.em().execute<Array<{ secret_hash: string }>>('select secret_hash from auth_client_secrets where client_id = ?', [client.id]);
    expect(await oauthError(passwordGrant(t.current, { id: client.id, secret: stored[0]!.secret_hash }, user, 'openid')))
      .toMatchObject({ error: 'invalid_client' });
    // What the comparison is handed: the client metadata's client_secret (AuthClientService.providerSecret), not a secret.
    const found = await t.current.app.provider.Client.find(client.id);
    expect(found?.clientSecret).toBe(await t.current.app.services.authClients.providerSecret(client.id));
    expect(await oauthError(passwordGrant(t.current, { id: client.id, secret: found!.clientSecret! }, user, 'openid')))
      .toMatchObject({ error: 'invalid_client' });
  });

  it('is awaited by oidc-provider, and its metadata (with every working secret) is hashed into the client cache key', async () => {
    expect(await source('shared/client_auth.js')).toContain('await ctx.oidc.client.compareClientSecret(clientSecret)');
    expect(await source('models/client.js')).toContain("crypto.hash('sha256', JSON.stringify(properties), 'base64url')");
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

// The DPoP helpers the password grant borrows (deep imports of lib/helpers/*.js): called as oidc-provider's own grants
// call them, with a token endpoint request as small as each helper reads.
const provider = () => t.current.app.provider;
const tokenUrl = () => `${t.current.issuer}/token`;

/** A token endpoint request as those helpers see it. */
function tokenEndpoint(proof: string | undefined, client: Record<string, unknown> = { clientId: 'c' }): KoaContextWithOIDC {
  return {
    method: 'POST',
    get: (name: string) => (name.toLowerCase() === 'dpop' ? proof ?? '' : ''),
    set: () => {},
    assert(value: unknown, error: Error) { if (!value) throw error; },
    oidc: {
      provider: provider(), route: 'token', client, urlFor: () => tokenUrl(),
    },
  } as unknown as KoaContextWithOIDC;
}

describe('validateDpop (lib/helpers/validate_dpop.js)', () => {
  it('returns the thumbprint, jti and iat of a valid proof, and nothing without one', async () => {
    const key = await dpopKey();
    const jti = randomUUID();
    const iat = Math.floor(Date.now() / 1000);
    const proof = await dpopProof(key, { htu: tokenUrl(), jti, iat });
    await expect(validateDpop(provider(), tokenEndpoint(proof))).resolves.toEqual({ thumbprint: key.thumbprint, jti, iat });
    await expect(validateDpop(provider(), tokenEndpoint(undefined))).resolves.toBeUndefined();
  });

  it.each([
    ['an htu elsewhere', { htu: 'https://elsewhere.example/token' }, 'DPoP proof htu mismatch'],
    ['htm GET', { htm: 'GET' }, 'DPoP proof htm mismatch'],
    ['an iat an hour old', { iat: Math.floor(Date.now() / 1000) - 3600 }, 'DPoP proof iat is not recent enough'],
    ['a nonce', { nonce: 'n' }, 'DPoP nonces are not supported'],
    ['typ JWT', { typ: 'JWT' }, 'invalid DPoP key binding'],
  ])('refuses a proof with %s with InvalidDpopProof', async (_name, options, description) => {
    const proof = await dpopProof(await dpopKey(), { htu: tokenUrl(), ...options });
    const refused = validateDpop(provider(), tokenEndpoint(proof));
    await expect(refused).rejects.toBeInstanceOf(errors.InvalidDpopProof);
    await expect(refused).rejects.toMatchObject({ error_description: description });
  });

  it('checks the algorithms the provider advertises (enabledJWA.dPoPSigningAlgValues)', async () => {
    const proof = await dpopProof(await dpopKey('PS256'), { htu: tokenUrl(), alg: 'PS256' });
    await expect(validateDpop(provider(), tokenEndpoint(proof))).rejects.toBeInstanceOf(errors.InvalidDpopProof);
  });
});

describe('checkDpopReplay (lib/helpers/validate_dpop.js)', () => {
  it('accepts a jti once per client and then throws the error class given', async () => {
    const proof: DpopProof = { thumbprint: 't', jti: randomUUID(), iat: Math.floor(Date.now() / 1000) };
    const ctx = tokenEndpoint(undefined);
    await expect(checkDpopReplay(provider(), ctx, proof, 'client-a', errors.InvalidGrant)).resolves.toBeUndefined();
    await expect(checkDpopReplay(provider(), ctx, proof, 'client-b', errors.InvalidGrant)).resolves.toBeUndefined();
    const replayed = checkDpopReplay(provider(), ctx, proof, 'client-a', errors.InvalidGrant);
    await expect(replayed).rejects.toBeInstanceOf(errors.InvalidGrant);
    await expect(replayed).rejects.toMatchObject({ error_detail: 'DPoP proof JWT Replay detected' });
  });
});

describe('ReplayDetection.unique (lib/models/replay_detection.js), made atomic by the adapter', () => {
  it('lets exactly one of many simultaneous uses of a jti through; the others get InvalidDpopProof', async () => {
    const jti = randomUUID();
    const exp = Math.floor(Date.now() / 1000) + 60;
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => provider().ReplayDetection.unique('race', jti, exp)));
    const passed = outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value);
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(passed).toHaveLength(1);
    // Refused by the adapter's insert (a race), or found by unique()'s own lookup.
    expect(refused.length + outcomes.filter((outcome) => outcome.status === 'fulfilled' && !outcome.value).length).toBe(7);
    for (const { reason } of refused) {
      expect(reason).toBeInstanceOf(errors.InvalidDpopProof);
      expect(reason).toMatchObject({ error_description: 'DPoP proof JWT Replay detected' });
    }
    await expect(provider().ReplayDetection.unique('race', jti, exp)).resolves.toBe(false);
  });
});

describe('checkDpopRequired (lib/helpers/sender_constraints.js)', () => {
  it('throws the error class given only for a client requiring DPoP that sent no proof', () => {
    const proof: DpopProof = { thumbprint: 't', jti: 'j', iat: 0 };
    const requiring = tokenEndpoint(undefined, { clientId: 'c', dpopBoundAccessTokens: true });
    expect(() => checkDpopRequired(provider(), requiring, undefined, errors.InvalidGrant)).toThrow(errors.InvalidGrant);
    expect(() => checkDpopRequired(provider(), requiring, proof, errors.InvalidGrant)).not.toThrow();
    expect(() => checkDpopRequired(provider(), tokenEndpoint(undefined), undefined, errors.InvalidGrant)).not.toThrow();
  });
});

describe('applyRefreshTokenBindings (lib/helpers/grant_refresh_token.js)', () => {
  it('binds the refresh token to the DPoP key for public clients only', async () => {
    const bind = async (clientAuthMethod: string) => {
      const refreshToken = {} as Record<string, unknown>;
      await applyRefreshTokenBindings(provider(), tokenEndpoint(undefined, { clientId: 'c', clientAuthMethod }), { jkt: 'thumb' } as never, refreshToken as never);
      return refreshToken.jkt;
    };
    expect(await bind('none')).toBe('thumb');
    expect(await bind('client_secret_basic')).toBeUndefined();
  });
});

describe('our own client metadata on a Client (clientMetadataValue)', () => {
  it('is still kept under its own name, beside the camel-cased metadata oidc-provider recognises', async () => {
    expect(await source('models/client.js')).toMatch(/if \(!instance\(provider\)\.RECOGNIZED_METADATA\.includes\(key\)\) \{\s*return key;/);
    const { id } = await createClient(t.current);
    await t.current.app.services.authClients.update(id, { accessTokenLifetime: 321, skipConsent: true });
    await t.current.app.changes.sync();
    const found = await t.current.app.provider.Client.find(id);
    expect(clientMetadataValue(found, ACCESS_TOKEN_LIFETIME)).toBe(321);
    expect(clientMetadataValue(found, SKIP_CONSENT)).toBe(true);
  });
});

describe('the start of a refresh token chain (refreshChainStartedAt)', () => {
  it('is still iiat: set on a new refresh token, and carried over by rotation', async () => {
    expect(await source('models/refresh_token.js')).toMatch(/if \(!this\.iiat\) \{\s*this\.iiat = this\.iat \|\| epochTime\(\);/);
    expect(await source('actions/grants/refresh_token.js')).toContain('iiat: refreshToken.iiat,');
    const token = new t.current.app.provider.RefreshToken({ accountId: 'someone', grantId: 'g', scope: 'openid', gty: 'authorization_code', client: (await t.current.app.provider.Client.find(client.id))! });
    expect(refreshChainStartedAt(token)).toEqual(expect.any(Number));
    expect(refreshChainStartedAt({})).toBeUndefined();
  });
});
