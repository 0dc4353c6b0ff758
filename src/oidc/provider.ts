// panva's oidc-provider, configured for this service: clients, tokens and keys from the database, the password and
// client credentials grants, and OAuth errors as RFC 6749 words them.
import type { JsonWebKey } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import Provider, {
  errors, type AsymmetricSigningAlgorithm, type Configuration, type KoaContextWithOIDC,
} from 'oidc-provider';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Sql } from '../db/sql.js';
import type { Config } from '../config.js';
import { describeError, type Logger } from '../shared/logger.js';
import type { Secrets } from '../shared/secrets.js';
import { countTokenIssued } from '../operations/metrics.js';
import { isDatabaseUnavailable, noneUnlessUnavailable } from '../shared/db-errors.js';
import { ALL_SCOPES } from '../access-control/scopes.js';
import type { AuthClientService } from '../auth-clients/auth-client.service.js';
import type { WebOrigins } from '../auth-clients/web-origins.js';
import type { UserService } from '../users/user.service.js';
import { createFindAccount } from './account.js';
import {
  ACCESS_TOKEN_LIFETIME, EXTRA_CLIENT_METADATA, REFRESH_TOKEN_LIFETIME, SKIP_CONSENT,
} from './client-metadata.js';
import {
  createAdapterClass, destroyAccessToken, storedIdOf, type ClientSource,
} from './adapter.js';
import {
  answerDatabaseTroubleAs503, clientMetadataValue, refreshChainStartedAt, compareClientSecretsWith, GRANT_TYPE_NOT_ALLOWED, grantlessOpaqueAccessToken, matchRedirectUrisWith,
} from './provider-internals.js';
import { redirectUriMatches } from '../auth-clients/auth-client.validation.js';
import type { TokenCheck } from './token-check.js';
import { PERSONAL_ACCESS_GTY, type AccessTokenDraft, type AccessTokenStore } from './token-store.js';
import { OidcConsent } from './consent.entity.js';
import { formTargets, pageHeaders } from './interactions/headers.js';
import { errorPage, loggedOutPage, logoutPage } from './interactions/pages.js';
import { registerPasswordGrant } from './grants/password.js';
import {
  loadProviderKeys, providerKeysVersion, publicJwks, type ProviderKeys,
} from './keys.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ProviderDeps {
  config: Config;
  orm: MikroORM;
  sql: Sql;
  secrets: Secrets;
  /** Clients as oidc-provider sees them, cached until they change (client-store.ts). */
  clients: ClientSource;
  /** What the instance hears of changes; endpoints that revoke wait to have heard their own. */
  changes: ChangeFeed;
  keys: ProviderKeys;
  users: UserService;
  authClients: AuthClientService;
  logger: Logger;
  /** The one check of whether a token may still be used, shared with /graphql. */
  tokenCheck: TokenCheck;
  /** The browser origins that may call the token, userinfo and revocation endpoints, as they may call /graphql. */
  webOrigins: WebOrigins;
}

/**
 * The algorithms a DPoP proof (RFC 9449) may be signed with, at the token endpoint and at /graphql alike; discovery
 * advertises them as dpop_signing_alg_values_supported. oidc-provider's own default, set here so both use one list.
 */
export const DPOP_SIGNING_ALGS: readonly AsymmetricSigningAlgorithm[] = ['ES256', 'Ed25519', 'EdDSA'];

const HOUR = 3600;
const DAY = 24 * HOUR;

const extra = clientMetadataValue;

function configuration(deps: ProviderDeps): Configuration {
  return {
    adapter: createAdapterClass(deps.sql, deps.secrets, deps.clients, deps.changes),
    findAccount: createFindAccount(deps.users, deps.tokenCheck),
    jwks: deps.keys.jwks,
    cookies: { keys: deps.keys.cookieKeys },
    scopes: [...ALL_SCOPES],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username'],
      email: ['email', 'email_verified'],
    },
    // Decided by corsForBrowserApps (below) before the route runs: oidc-provider asks synchronously.
    clientBasedCORS: (ctx) => corsDecisions.get(ctx) ?? false,
    // `none`: public clients (browser and native apps), which hold no secret; client-metadata.ts gives it to those only.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    // Per-client lifetimes and consent, from auth_clients; oidc-provider only carries them.
    extraClientMetadata: { properties: [...EXTRA_CLIENT_METADATA] },
    enabledJWA: { dPoPSigningAlgValues: [...DPOP_SIGNING_ALGS] },
    // Only the code flow: the implicit and hybrid flows are deprecated by the OAuth 2.0 Security BCP (RFC 9700).
    responseTypes: ['code'],
    features: {
      // Sender-constrained tokens (RFC 9449). No nonceSecret: the provider never asks for a DPoP nonce, and /graphql
      // refuses a proof carrying one, as this provider does (README, "DPoP").
      dPoP: { enabled: true },
      // Machine to machine (RFC 6749 §4.4), for clients with the CLIENT_CREDENTIALS grant. With no `resource` parameter
      // (resourceIndicators' default) the token is opaque, has no aud, and carries the requested scopes the client may
      // ask for (its `scope` metadata; others are invalid_scope; names outside the catalogue are dropped, and the
      // response's `scope` says what was granted, RFC 6749 §3.3): a token for this service's own /graphql.
      clientCredentials: { enabled: true },
      // The sign-in and consent pages arrive with the Authorization Code issue; the dev pages must never run.
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          ctx.set(pageHeaders(formTargets(ctx.oidc.params?.post_logout_redirect_uri as string | undefined)));
          ctx.type = 'html';
          ctx.body = logoutPage(form, ctx.host);
        },
        postLogoutSuccessSource(ctx) {
          ctx.set(pageHeaders());
          ctx.type = 'html';
          ctx.body = loggedOutPage();
        },
      },
      // A client may revoke (RFC 7009) and introspect (RFC 7662) only tokens issued to itself.
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId !== client.clientId) throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          return true;
        },
      },
      introspection: {
        enabled: true,
        // Personal access tokens are made for resource servers to check: any client may introspect one. Every token
        // is active only if it passes the same check as at /graphql (token-check.ts).
        allowedPolicy: async (ctx, client, token) => {
          const personal = token.kind === 'AccessToken' && (token as { gty?: string }).gty === PERSONAL_ACCESS_GTY;
          if (!personal && token.clientId !== client.clientId) return false;
          return Boolean(await deps.tokenCheck.check(ctx.oidc.provider, token, ctx.oidc.entities.Grant));
        },
      },
    },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // Each client's own lifetimes, for tokens issued from now on (also by the password grant). Personal access tokens
    // carry their own expiry.
    ttl: {
      AccessToken: (_ctx, _token, client) => extra<number>(client, ACCESS_TOKEN_LIFETIME) ?? HOUR,
      // oidc-provider's default is 10 minutes; a client-credentials token is an access token like any other.
      ClientCredentials: (_ctx, _token, client) => extra<number>(client, ACCESS_TOKEN_LIFETIME) ?? HOUR,
      AuthorizationCode: 60,
      IdToken: HOUR,
      Interaction: HOUR,
      Session: 14 * DAY,
      // A grant outlives the refresh tokens issued under it.
      Grant: (ctx) => Math.max(30 * DAY, extra<number>(ctx?.oidc?.client, REFRESH_TOKEN_LIFETIME) ?? 0),
      RefreshToken: (_ctx, token, client) => {
        const lifetime = extra<number>(client, REFRESH_TOKEN_LIFETIME) ?? 30 * DAY;
        if (client.clientAuthMethod !== 'none') return lifetime;
        // A public client's refresh tokens rotate at every use (rotateRefreshToken) and the chain ends at its refresh
        // lifetime counted from the first one (iiat), however often it is used: RFC 9700 §4.14.2.
        const now = Math.floor(Date.now() / 1000);
        return Math.max(1, (refreshChainStartedAt(token) ?? now) + lifetime - now);
      },
    },
    interactions: { url: (_ctx, interaction) => `${deps.config.issuer}/interaction/${interaction.uid}` },
    // Consent is remembered per user and client: in this browser's session, or else from an earlier sign-in.
    async loadExistingGrant(ctx) {
      const { client, session, result } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = (result?.consent as { grantId?: string } | undefined)?.grantId
        ?? session.grantIdFor(client.clientId)
        ?? (await deps.orm.em.fork().findOne(OidcConsent, { user: session.accountId, client: client.clientId }))?.grantId;
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!extra<boolean>(client, SKIP_CONSENT)) return existing;
      // A trusted first-party app (skipConsent): what it asks for, within its allowed scopes, is granted without asking.
      const grant = existing ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      const requested = [...(ctx.oidc.requestParamScopes ?? [])].filter((scope) => client.scope?.split(' ').includes(scope));
      if (requested.length > 0) grant.addOIDCScope(requested.join(' '));
      const claims = Object.keys({ ...ctx.oidc.claims?.id_token, ...ctx.oidc.claims?.userinfo });
      if (claims.length > 0) grant.addOIDCClaims(claims);
      await grant.save();
      return grant;
    },
    renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) {
      ctx.set(pageHeaders());
      ctx.type = 'html';
      ctx.body = errorPage('Cannot sign in', `${out.error}: ${out.error_description ?? 'the request was refused'}`);
    },
  };
}

/** The endpoints where oidc-provider asks clientBasedCORS, with whether browser apps may call each. */
const CLIENT_CORS_ENDPOINTS = new Map([
  ['/token', true],
  ['/me', true],
  ['/token/revocation', true],
  // For resource servers, which are not browser pages.
  ['/token/introspection', false],
]);
/** Each request's CORS decision, made once by corsForBrowserApps and read by clientBasedCORS. */
const corsDecisions = new WeakMap<object, boolean>();

/**
 * CORS at the token, userinfo and revocation endpoints: the rule /graphql follows (auth-clients/web-origins.ts).
 * oidc-provider answers every preflight with the origin asking, and checks an actual request's origin only once it
 * knows the client (clientBasedCORS, which it asks synchronously): the decision is made here, from memory, before it
 * runs. A preflight from anywhere else is refused with 403; an actual request from anywhere else gets no CORS
 * headers, even on an error answered before the client is known (oidc-provider refuses it with invalid_request).
 */
function corsForBrowserApps(origins: WebOrigins) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    const origin = ctx.get('Origin');
    const forBrowsers = CLIENT_CORS_ENDPOINTS.get(ctx.path);
    if (!origin || forBrowsers === undefined) {
      await next();
      return;
    }
    const allowed = forBrowsers && await origins.allows(origin);
    corsDecisions.set(ctx, allowed);
    if (!allowed && ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
      ctx.vary('Origin');
      ctx.status = 403;
      return;
    }
    await next();
    if (!allowed) {
      ctx.remove('Access-Control-Allow-Origin');
      ctx.remove('Access-Control-Expose-Headers');
    }
  };
}

/** RFC 6749 §5.2: a client using a grant type it is not allowed is `unauthorized_client`; oidc-provider says invalid_request. */
async function rfc6749GrantErrors(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  const body = ctx.body as { error?: string; error_description?: string } | undefined;
  if (ctx.path === '/token' && body?.error === 'invalid_request' && body.error_description === GRANT_TYPE_NOT_ALLOWED) {
    ctx.body = { error: 'unauthorized_client', error_description: 'this client is not allowed to use this grant type' };
  }
}

/**
 * A client without the Authorization Code grant has no redirect URI, so oidc-provider would only ever say
 * invalid_redirect_uri. RFC 6749 §4.1.2.1 names the real reason: unauthorized_client, shown on an error page since
 * there is nowhere to redirect to.
 */
function codeFlowClientsOnly(provider: Provider) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    const clientId = ctx.query.client_id;
    if (ctx.path === '/auth' && typeof clientId === 'string') {
      const client = await provider.Client.find(clientId).catch(noneUnlessUnavailable);
      if (client && !client.grantTypeAllowed('authorization_code')) {
        ctx.status = 400;
        ctx.set(pageHeaders());
        ctx.type = 'html';
        ctx.body = errorPage('Cannot sign in', 'unauthorized_client: this client is not allowed to use the Authorization Code grant');
        return;
      }
    }
    await next();
  };
}

/**
 * Every URL oidc-provider prints (discovery, endpoints, redirects, form actions, the sign-out page's host) is built from
 * its Koa request's href and host: from PUBLIC_URL, never from Host or X-Forwarded-Host. Its protocol, and so whether
 * a cookie is Secure, stays what TRUST_PROXY concluded (app.ts). Set once on the prototype of the provider's Koa
 * requests: defining them on each request costs every request its fast property access.
 */
function urlsFromPublicUrl(provider: Provider, publicUrl: string): void {
  const { host, hostname, origin } = new URL(publicUrl);
  // The provider is its own Koa application (its `app` getter is deprecated): `request` is its requests' prototype.
  Object.defineProperties((provider as unknown as { request: object }).request, {
    host: { get: () => host, configurable: true },
    hostname: { get: () => hostname, configurable: true },
    href: {
      get(this: { originalUrl: string }) { return `${origin}${this.originalUrl}`; },
      configurable: true,
    },
  });
}

/**
 * Records the client's use (a token issued, an introspection) in auth_clients.last_used_at, at most once a minute per
 * client: after the answer is made, and mostly without a query (AuthClientService.touch).
 */
function recordClientUse(authClients: AuthClientService, logger: Logger) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.method !== 'POST' || ctx.status !== 200 || (ctx.path !== '/token' && ctx.path !== '/token/introspection')) return;
    const clientId = ctx.oidc?.client?.clientId;
    if (clientId) await authClients.touch(clientId).catch((error: unknown) => logger.error('could not record a client\'s use', describeError(error)));
  };
}

/**
 * Revocation, logout, and a refused reuse of a code or refresh token (which revokes its grant) answer only once this
 * instance has heard the changes they made, so a token revoked here is refused by the very next request here.
 */
function answerAfterRevoking(changes: ChangeFeed) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    if (ctx.method !== 'POST') return;
    // A refused reuse is a 400; a 5xx (the database out of reach) revoked nothing, and must not wait on it again.
    if (ctx.status >= 500) return;
    if (ctx.path === '/token/revocation' || ctx.path.startsWith('/session/end') || (ctx.path === '/token' && ctx.status >= 400)) {
      await changes.sync();
    }
  };
}

export function createProvider(deps: ProviderDeps): Provider {
  const provider = new Provider(deps.config.issuer, configuration(deps));
  // app.ts hands it only the forwarded headers TRUST_PROXY trusts.
  provider.proxy = deps.config.trustProxy !== false;

  // Secrets are stored as keyed hashes: check the presented one against each working secret's hash, in constant time.
  compareClientSecretsWith(provider, (stored, presented) => deps.authClients.verifySecret(stored, presented));
  // Redirect URIs are stored in normal form and matched exactly, but for the port of a loopback IP (README, "OAuth").
  matchRedirectUrisWith(provider, redirectUriMatches);

  registerPasswordGrant(provider, deps.users);
  urlsFromPublicUrl(provider, deps.config.publicUrl);
  // Outermost: sees every answer, and every error of the middleware below.
  answerDatabaseTroubleAs503(provider, (ctx) => {
    ctx.set(pageHeaders());
    ctx.type = 'html';
    ctx.body = errorPage('Try again in a moment', 'Signing in is unavailable just now. Wait a moment, then try again.');
  });
  provider.use(corsForBrowserApps(deps.webOrigins));
  provider.use(rfc6749GrantErrors);
  provider.use(answerAfterRevoking(deps.changes));
  provider.use(codeFlowClientsOnly(provider));
  provider.use(recordClientUse(deps.authClients, deps.logger));
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => countTokenIssued(ctx.oidc.params?.grant_type));
  provider.on('server_error', (_ctx, error) => {
    if (isDatabaseUnavailable(error)) deps.logger.error('oidc-provider: the database is unavailable', describeError(error));
    else deps.logger.error('oidc-provider server error', describeError(error));
  });
  return provider;
}

/** Whatever needs the provider reads it through this, so a key rotation can swap in a new one. */
export interface ProviderRef {
  readonly current: Provider;
}

/**
 * Holds the provider built from the current keys, and rebuilds it when another instance (or the CLI) has rotated
 * them. oidc-provider takes its keys once, at construction; everything else it keeps is in the database.
 */
export class ProviderHost implements ProviderRef, AccessTokenStore {
  #current!: Provider;
  #handler!: ReturnType<Provider['callback']>;
  #version = '';
  #publicJwks!: { keys: JsonWebKey[] };
  #refreshing: Promise<boolean> | undefined;

  constructor(private readonly deps: Omit<ProviderDeps, 'keys'>, keys: ProviderKeys) {
    this.#install(keys);
  }

  get current(): Provider {
    return this.#current;
  }

  /** What /oidc/jwks publishes: the public halves of the keys this instance signs with and still honours. */
  get publicJwks(): { keys: JsonWebKey[] } {
    return this.#publicJwks;
  }

  /** A request handler that always reaches the current provider. */
  // A request arriving while keys are being reloaded (a rotation was just announced) waits for the new provider.
  readonly callback = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await this.settled();
    return this.#handler(req, res);
  };

  storedIdOf(value: string): string {
    return storedIdOf(this.deps.secrets, value);
  }

  async issue({
    value, clientId, accountId, gty, scope, expiresIn,
  }: AccessTokenDraft): Promise<void> {
    const client = await this.current.Client.find(clientId);
    if (!client) throw new Error(`No client ${clientId} to issue an access token through`);
    await grantlessOpaqueAccessToken(this.current, {
      value, client, accountId, gty, scope, expiresIn,
    }).save();
  }

  async revoke(storedId: string): Promise<void> {
    await destroyAccessToken(this.deps.sql, storedId);
  }

  /** Resolves once no reload of the keys is under way. */
  settled(): Promise<void> {
    return this.#refreshing ? this.#refreshing.then(() => {}, () => {}) : Promise.resolve();
  }

  /**
   * Reloads the keys if the stored set changed (a cheap check that decrypts nothing); true when a new provider now
   * serves. Calls queue behind one under way, so a change announced while an older check runs is never missed.
   */
  refresh(): Promise<boolean> {
    const next = (this.#refreshing ?? Promise.resolve(false)).catch(() => false).then(() => this.#reload());
    this.#refreshing = next;
    next.finally(() => { if (this.#refreshing === next) this.#refreshing = undefined; }).catch(() => {});
    return next;
  }

  async #reload(): Promise<boolean> {
    if (await providerKeysVersion(this.deps.sql) === this.#version) return false;
    const keys = await loadProviderKeys(this.deps.orm.em.fork(), this.deps.secrets);
    if (keys.version === this.#version) return false;
    this.#install(keys);
    return true;
  }

  #install(keys: ProviderKeys): void {
    const provider = createProvider({ ...this.deps, keys });
    this.#current = provider;
    this.#handler = provider.callback();
    this.#version = keys.version;
    this.#publicJwks = publicJwks(keys);
  }
}
