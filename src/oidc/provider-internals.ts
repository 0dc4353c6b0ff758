// Every place this service relies on oidc-provider beyond its documented API, in one module, so an upgrade has one
// file to review. test/oidc/provider-internals.test.ts fails when an upgrade changes any of them.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { isDatabaseUnavailable } from '../shared/db-errors.js';
import { RETRY_AFTER_SECONDS } from '../shared/errors.js';
// Deep imports: the package has no exports map, so its lib/ files resolve, but nothing promises they stay.
// @ts-expect-error -- oidc-provider ships no types for lib/; the shapes relied on are declared below.
import validateDpopUntyped, { checkDpopReplay as checkDpopReplayUntyped } from 'oidc-provider/lib/helpers/validate_dpop.js';
// @ts-expect-error -- as above.
import { checkDpopRequired as checkDpopRequiredUntyped } from 'oidc-provider/lib/helpers/sender_constraints.js';
// @ts-expect-error -- as above.
import { applyRefreshTokenBindings as applyRefreshTokenBindingsUntyped } from 'oidc-provider/lib/helpers/grant_refresh_token.js';

type AccessToken = InstanceType<Provider['AccessToken']>;
type RefreshToken = InstanceType<Provider['RefreshToken']>;
type IdToken = InstanceType<Provider['IdToken']>;

/**
 * Client secrets are stored as keyed hashes, one or two per client, where oidc-provider expects the one secret itself:
 * replace its comparison (Client.prototype.compareClientSecret, called by its client_secret_basic and
 * client_secret_post authentication, and awaited there). `stored` is the client metadata's client_secret as the client
 * store wrote it (AuthClientService.providerSecret).
 */
export function compareClientSecretsWith(provider: Provider, verify: (stored: string, presented: string) => boolean): void {
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, presented: string) {
    return verify(this.clientSecret ?? '', presented);
  };
}

/**
 * Which redirect URIs a client may be sent to, at the authorization and end-session endpoints: replace
 * Client.prototype.redirectUriAllowed and postLogoutRedirectUriAllowed (oidc-provider matches exactly for web clients,
 * and for native ones ignores the port on localhost, 127.0.0.1 and [::1]). `this` carries the client's metadata.
 */
export function matchRedirectUrisWith(provider: Provider, matches: (registered: readonly string[], presented: string) => boolean): void {
  const prototype = provider.Client.prototype as unknown as Record<string, unknown>;
  prototype.redirectUriAllowed = function redirectUriAllowed(this: { redirectUris?: string[] }, presented: string) {
    return matches(this.redirectUris ?? [], presented);
  };
  prototype.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(this: { postLogoutRedirectUris?: string[] }, presented: string) {
    return matches(this.postLogoutRedirectUris ?? [], presented);
  };
}

/** The error_description oidc-provider gives a client using a grant type it is not allowed (actions/token.js). */
export const GRANT_TYPE_NOT_ALLOWED = 'requested grant type is not allowed for this client';

/**
 * An access token stored under a value of our own (a personal access token), with no grant. oidc-provider's types
 * require a grantId, and it picks a token's format only when it makes the value itself: both are set here.
 */
export function grantlessOpaqueAccessToken(
  provider: Provider,
  fields: { value: string; client: InstanceType<Provider['Client']>; accountId: string; gty: string; scope?: string; expiresIn: number },
): AccessToken {
  const token = new provider.AccessToken({
    grantId: undefined as unknown as string,
    jti: fields.value,
    client: fields.client,
    accountId: fields.accountId,
    gty: fields.gty,
    scope: fields.scope,
    expiresIn: fields.expiresIn,
  });
  (token as unknown as { format: string }).format = 'opaque';
  return token;
}

/** The scope an ID token's claims are filtered by; set by hand for a grant oidc-provider does not ship (password). */
export function setIdTokenScope(idToken: IdToken, scope: string): void {
  (idToken as unknown as { scope: string }).scope = scope;
}

// DPoP (RFC 9449) for the password grant. oidc-provider hands the built-in grants these helpers (lib/helpers/grants.js)
// but not a grant registered with registerGrantType.

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
 * throws InvalidDpopProof otherwise.
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

/**
 * One of our own client metadata values (oidc-provider's extraClientMetadata, see client-metadata.ts). The Client
 * constructor camel-cases the metadata it recognises and keeps any other property under its own name: read it there.
 */
export function clientMetadataValue<Value>(client: InstanceType<Provider['Client']> | undefined, name: string): Value | undefined {
  return (client as unknown as Record<string, Value> | undefined)?.[name];
}

/**
 * oidc-provider answers any error that is not one of its own (an adapter's, findAccount's, a grant's) as 500
 * server_error; a database that could not be asked is RFC 6749's temporarily_unavailable instead, with HTTP 503 and
 * Retry-After (a 503 page for a browser). Its route error handlers (shared/error_handler.js,
 * authorization_error_handler.js) swallow the error after emitting `server_error` with it, before the answer leaves:
 * the listener marks the request and the outermost middleware, added here first, rewrites the answer. Errors thrown by
 * our own middleware outside its routes reach that middleware directly.
 */
export function answerDatabaseTroubleAs503(provider: Provider, page: (ctx: KoaContextWithOIDC) => void): void {
  const marked = new WeakSet<object>();
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: unknown) => {
    if (isDatabaseUnavailable(error)) marked.add(ctx);
  });
  provider.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      marked.add(ctx);
    }
    if (!marked.has(ctx)) return;
    ctx.status = 503;
    ctx.remove('Location');
    ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
    if (ctx.accepts('json', 'html') === 'html') {
      page(ctx as KoaContextWithOIDC);
    } else {
      ctx.body = { error: 'temporarily_unavailable', error_description: 'the service cannot reach its database just now; try again shortly' };
    }
  });
}

/**
 * When the chain of refresh tokens that `token` belongs to began, in seconds since the epoch: oidc-provider keeps the
 * first token's iat as `iiat` on every token that rotation makes from it (actions/grants/refresh_token.js), and sets it
 * on a new token (models/refresh_token.js). Undefined for anything else.
 */
export function refreshChainStartedAt(token: unknown): number | undefined {
  const iiat = (token as { iiat?: unknown } | undefined)?.iiat;
  return typeof iiat === 'number' ? iiat : undefined;
}
