// What this service takes from oidc-provider's internals (src/oidc/provider-internals.ts), and what it relies on them
// doing: each case fails when an upgrade moves or changes one. The contexts are as small as each helper reads.
import { randomUUID } from 'node:crypto';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import {
  applyRefreshTokenBindings, checkDpopReplay, checkDpopRequired, validateDpop, type DpopProof,
} from '../../src/oidc/provider-internals.js';
import { useTestApp } from '../helpers/app.js';
import { dpopKey, dpopProof } from '../helpers/dpop.js';

const t = useTestApp();
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
    ['htu', { htu: 'https://elsewhere.example/token' }, 'DPoP proof htu mismatch'],
    ['htm', { htm: 'GET' }, 'DPoP proof htm mismatch'],
    ['iat', { iat: Math.floor(Date.now() / 1000) - 3600 }, 'DPoP proof iat is not recent enough'],
    ['nonce', { nonce: 'n' }, 'DPoP nonces are not supported'],
    ['typ', { typ: 'JWT' }, 'invalid DPoP key binding'],
  ])('refuses a proof with a wrong %s with InvalidDpopProof', async (_name, options, description) => {
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
