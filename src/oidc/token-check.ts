// The one answer to "may this token still be used?", given alike at /graphql, introspection, userinfo and refresh: the
// token is unexpired and unconsumed, its client still exists, its user is active, its grant still exists and is
// theirs, the browser session it is bound to (if any) still exists, and a personal access token's record is usable. A
// client-credentials token speaks for its client alone: the client must still exist and hold that grant.
import type Provider from 'oidc-provider';
import type { ChangeCache } from '../db/change-cache.js';
import type { ChangeFeed } from '../db/change-feed.js';
import { parseScope } from '../access-control/scopes.js';
import { noneUnlessUnavailable } from '../shared/db-errors.js';
import type { Secrets } from '../shared/secrets.js';
import type { UserService, ViewerRecord } from '../users/user.service.js';
import { storedIdOf } from './adapter.js';
import { tokenCache, type KnownToken } from './token-cache.js';
import { PERSONAL_ACCESS_GTY } from './token-store.js';

/** A personal access token's record, as far as the check needs it. */
export interface UsablePersonalAccessToken {
  id: string;
  lastUsedAt: Date | null;
}

/** Whether a personal access token may be used now, and recording its use (personal-access-tokens/). */
export interface PersonalAccessTokenUse {
  usable(value: string): Promise<UsablePersonalAccessToken | null>;
  touch(token: UsablePersonalAccessToken): Promise<void>;
}

/** Where the permissions granted to a client acting as itself are read (auth-clients/auth-client.service.ts). */
export interface ClientPermissionSource {
  permissionsOf(clientId: string): Promise<string[]>;
}

/** An auth client acting as itself (client credentials), and the permissions granted to it. */
export interface ClientActor {
  id: string;
  permissions: readonly string[];
}

/** Who a good token speaks for, and what it may be used for. */
export interface TokenHolder {
  /** The user the token acts for; null for a client-credentials token, which acts as its client (`client`). */
  user: ViewerRecord | null;
  /** Set only for a client-credentials token: the client acting as itself, not for any user. */
  client?: ClientActor;
  clientId: string;
  /** The scopes the token was granted. */
  scopes: ReadonlySet<string>;
  /** The resource server the token is for, if it was issued for one (RFC 8707); undefined for this service's own. */
  audience?: string | string[];
  /** The JWK thumbprint a sender-constrained (DPoP) token is bound to (RFC 9449 §6). */
  jkt?: string;
  personal?: UsablePersonalAccessToken;
  /** The browser session the token was issued in, if any: the one a password change made with it keeps. */
  sessionUid?: string;
}

type ClientCredentials = InstanceType<Provider['ClientCredentials']>;
type CheckedToken = InstanceType<Provider['AccessToken']> | InstanceType<Provider['RefreshToken']> | ClientCredentials;
type Grant = InstanceType<Provider['Grant']>;

/** The grant types a token was issued through (gty, e.g. "authorization_code refresh_token") that a client must still allow. */
const CLIENT_GRANT_TYPES = new Set(['authorization_code', 'password']);

function stillAllowed(client: InstanceType<Provider['Client']>, token: CheckedToken): boolean {
  const gty = (token as { gty?: string }).gty?.split(' ') ?? [];
  if (gty.some((type) => CLIENT_GRANT_TYPES.has(type) && !client.grantTypeAllowed(type))) return false;
  const allowed = parseScope(client.scope);
  return [...parseScope(token.scope)].every((scope) => allowed.has(scope));
}

export class TokenCheck {
  readonly #known: ChangeCache<KnownToken>;

  constructor(
    private readonly users: UserService,
    private readonly personalAccessTokens: PersonalAccessTokenUse,
    private readonly secrets: Secrets,
    changes: ChangeFeed,
    private readonly clientPermissions: ClientPermissionSource,
  ) {
    this.#known = tokenCache(changes);
  }

  /**
   * The holder of the access token with this value, or null when it may not be used. Throws DatabaseUnavailable when
   * that could not be looked up: "could not look" is never "no such token". A token checked before is
   * answered from memory until anything it rests on changes (token-cache.ts); a personal access token's use is
   * recorded either way.
   */
  async accessToken(provider: Provider, value: string): Promise<TokenHolder | null> {
    const key = storedIdOf(this.secrets, value);
    const known = this.#known.recall(key);
    if (known) {
      if (known.holder.personal) await this.personalAccessTokens.touch(known.holder.personal);
      return known.holder;
    }
    const generation = this.#known.generation;
    // Started together, both lookups share the adapter's one query of every token kind (adapter.ts).
    const [accessToken, clientCredentials] = await Promise.all([
      provider.AccessToken.find(value).catch(noneUnlessUnavailable),
      provider.ClientCredentials.find(value).catch(noneUnlessUnavailable),
    ]);
    const token = accessToken ?? clientCredentials;
    if (!token) return null;
    return this.#check(provider, token, key, generation);
  }

  /**
   * The holder of a token oidc-provider has just loaded (introspection, userinfo, refresh), or null. `grant` is the
   * token's grant when the caller has already read it.
   */
  async check(provider: Provider, token: CheckedToken, grant?: Grant): Promise<TokenHolder | null> {
    if (token.kind === 'AccessToken' || token.kind === 'ClientCredentials') {
      const key = storedIdOf(this.secrets, token.jti);
      const known = this.#known.recall(key);
      if (known) return known.holder;
      return this.#check(provider, token, key, this.#known.generation, grant);
    }
    return this.#check(provider, token, undefined, 0, grant);
  }

  async #check(provider: Provider, token: CheckedToken, key: string | undefined, generation: number, knownGrant?: Grant): Promise<TokenHolder | null> {
    if (token.kind === 'ClientCredentials') return this.#checkClientCredentials(provider, token, key, generation);
    // Not isValid: a consumed refresh token must reach oidc-provider's reuse detection, which revokes its grant.
    if (token.isExpired || !token.accountId || !token.clientId) return null;
    const personalToken = token.kind === 'AccessToken' && token.gty === PERSONAL_ACCESS_GTY;
    const [client, user, grant, session, personal] = await Promise.all([
      provider.Client.find(token.clientId).catch(noneUnlessUnavailable),
      this.users.findActiveViewer(token.accountId),
      token.grantId ? knownGrant ?? provider.Grant.find(token.grantId).catch(noneUnlessUnavailable) : undefined,
      // A token from a browser sign-in without offline_access lives only as long as that session.
      token.expiresWithSession && token.sessionUid ? provider.Session.findByUid(token.sessionUid).catch(noneUnlessUnavailable) : undefined,
      personalToken ? this.personalAccessTokens.usable(token.jti) : undefined,
    ]);
    if (!client || !user) return null;
    // A grant or scope removed from the client ends the tokens issued through it or carrying it (the update revokes
    // them too; this covers a token written while it did).
    if (!stillAllowed(client, token)) return null;
    // Every token but a personal access token comes from a grant; a revoked grant takes its tokens with it.
    if (token.grantId) {
      if (!grant || grant.isExpired || grant.clientId !== token.clientId || grant.accountId !== token.accountId) return null;
    } else if (!personalToken) {
      return null;
    }
    if (token.expiresWithSession && (!session || session.accountId !== token.accountId || session.grantIdFor(token.clientId) !== token.grantId)) {
      return null;
    }
    if (personalToken && !personal) return null;
    if (personal) await this.personalAccessTokens.touch(personal);

    const holder: TokenHolder = {
      user,
      clientId: token.clientId,
      scopes: parseScope(token.scope),
      audience: (token as { aud?: string | string[] }).aud,
      jkt: (token as { jkt?: string }).jkt,
      personal: personal ?? undefined,
      sessionUid: token.sessionUid ?? undefined,
    };
    // A token bound to a browser session rests on that session too, which is not announced: never kept.
    if (key && !token.expiresWithSession && token.exp !== undefined) {
      this.#known.remember(key, {
        holder, grantKey: token.grantId ? storedIdOf(this.secrets, token.grantId) : undefined, expiresAt: token.exp * 1000,
      }, generation);
    }
    return holder;
  }

  /**
   * A client-credentials token is good while its client exists and still holds the grant; it holds the permissions
   * granted to the client now, and of its scopes those the client may still ask for. Kept until the client or any
   * grant of permissions changes (token-cache.ts: the auth_clients and permissions channels).
   */
  async #checkClientCredentials(provider: Provider, token: ClientCredentials, key: string | undefined, generation: number): Promise<TokenHolder | null> {
    if (token.isExpired || !token.clientId) return null;
    const [client, permissions] = await Promise.all([
      provider.Client.find(token.clientId).catch(noneUnlessUnavailable),
      this.clientPermissions.permissionsOf(token.clientId),
    ]);
    if (!client || !client.grantTypeAllowed('client_credentials')) return null;
    const allowed = parseScope(client.scope);
    const holder: TokenHolder = {
      user: null,
      client: { id: token.clientId, permissions },
      clientId: token.clientId,
      scopes: new Set([...parseScope(token.scope)].filter((scope) => allowed.has(scope))),
      audience: (token as { aud?: string | string[] }).aud,
      jkt: (token as { jkt?: string }).jkt,
    };
    if (key && token.exp !== undefined) this.#known.remember(key, { holder, expiresAt: token.exp * 1000 }, generation);
    return holder;
  }
}
