// Every reliance on oidc-provider's internals (lib/, not its public API), in one place: the package has no exports map,
// so deep imports resolve, but nothing promises they stay. test/oidc/provider-internals.test.ts checks each one.
import type {
  AccessToken, KoaContextWithOIDC, Provider, RefreshToken,
} from 'oidc-provider';
// @ts-expect-error -- oidc-provider ships no types for lib/; the shapes relied on are declared below.
import validateDpopUntyped, { checkDpopReplay as checkDpopReplayUntyped } from 'oidc-provider/lib/helpers/validate_dpop.js';
// @ts-expect-error -- as above.
import { checkDpopRequired as checkDpopRequiredUntyped } from 'oidc-provider/lib/helpers/sender_constraints.js';
// @ts-expect-error -- as above.
import { applyRefreshTokenBindings as applyRefreshTokenBindingsUntyped } from 'oidc-provider/lib/helpers/grant_refresh_token.js';

/** What validateDpop makes of a valid DPoP proof: the RFC 7638 thumbprint of its key, its jti and iat. */
export interface DpopProof {
  thumbprint: string;
  jti: string;
  iat: number;
}

type ErrorClass = new (description: string) => Error;

/**
 * The token endpoint's own check of the request's `DPoP` header (RFC 9449 §4.3): typ, alg among
 * enabledJWA.dPoPSigningAlgValues, signature with the embedded public key, iat, htm, htu against the current route
 * (ctx.oidc.route, so it must run inside a provider route), and no nonce. Undefined when the request carries no proof;
 * throws InvalidDpopProof otherwise. The built-in grants get it as a helper that custom grants are not given.
 */
export const validateDpop = validateDpopUntyped as (provider: Provider, ctx: KoaContextWithOIDC) => Promise<DpopProof | undefined>;

/**
 * Records the proof's jti for `clientId` through ReplayDetection.unique(), and throws `ErrorClass` ('DPoP proof JWT
 * Replay detected') when it was seen. The adapter's atomic upsert throws InvalidDpopProof instead when two requests race.
 */
export const checkDpopReplay = checkDpopReplayUntyped as (
  provider: Provider, ctx: KoaContextWithOIDC, proof: DpopProof | undefined, clientId: string, errorClass?: ErrorClass,
) => Promise<void>;

/** Throws `ErrorClass` ('DPoP proof JWT not provided') when the client registered dpop_bound_access_tokens and sent no proof. */
export const checkDpopRequired = checkDpopRequiredUntyped as (
  provider: Provider, ctx: KoaContextWithOIDC, proof: DpopProof | undefined, errorClass?: ErrorClass,
) => void;

/**
 * Binds a refresh token as the built-in grants do (lib/helpers/set_rt_bindings.js): to the access token's DPoP key
 * only for public clients (token_endpoint_auth_method none), whose refresh token is otherwise unprotected; a
 * confidential client's refresh token is bound by its client authentication, and left unbound.
 */
export const applyRefreshTokenBindings = applyRefreshTokenBindingsUntyped as (
  provider: Provider, ctx: KoaContextWithOIDC, accessToken: AccessToken, refreshToken: RefreshToken,
) => Promise<void>;
