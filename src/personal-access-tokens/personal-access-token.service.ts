// Personal access tokens: minted as oidc-provider access tokens (so /graphql and introspection take them like any
// other), with a recognisable prefix, stored only as a keyed hash, listed, revoked, and checked on every use.
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuthClient, AuthClientGrant } from '../auth-clients/auth-client.entity.js';
import { NotFound, ValidationFailed, type Problem } from '../shared/errors.js';
import { flushOrExplain, isUuid } from '../shared/db-errors.js';
import { randomToken, type Secrets } from '../shared/secrets.js';
import { CONTROL_CHARACTERS } from '../shared/text.js';
import {
  checkPageSize, decodeCursor, encodeCursor, type Page,
} from '../shared/paging.js';
import { User } from '../users/user.entity.js';
import type { Sql } from '../db/sql.js';
import { OidcPayload } from '../oidc/oidc-payload.entity.js';
import { storedIdOf } from '../oidc/adapter.js';
import type { ProviderRef } from '../oidc/provider.js';
import { PersonalAccessToken } from './personal-access-token.entity.js';

/** Marks our personal access tokens, so secret scanners can recognise a leaked one. */
export const PERSONAL_ACCESS_TOKEN_PREFIX = 'acp_';
/** The grant type recorded on the access token, and how a token is recognised as personal. */
export const PERSONAL_ACCESS_GTY = 'personal_access';
/** What a personal access token may carry; offline_access means nothing for a token that is itself long-lived. */
export const PERSONAL_ACCESS_SCOPES = ['openid', 'profile', 'email'] as const;
/** lastUsedAt is written at most this often per token. */
export const LAST_USED_RESOLUTION_MS = 60_000;
const NAME_MAX_LENGTH = 100;
const DISPLAYED_CHARS = 10;
const DAY_MS = 24 * 3600 * 1000;

export interface UsablePersonalAccessToken {
  id: string;
  lastUsedAt: Date | null;
}

export interface PersonalAccessTokenDraft {
  name: string;
  authClientId: string;
  scopes?: readonly string[] | null;
  expiresAt?: Date | null;
}

function nameTaken(name: string): ValidationFailed {
  return ValidationFailed.of('name', `You already have a personal access token named "${name}"`);
}

// A cursor is the sort key of the last row seen: creation time, then the id as a tie-break.
const cursorOf = (token: PersonalAccessToken) => encodeCursor([token.createdAt.toISOString(), token.id]);

export class PersonalAccessTokenService {
  constructor(
    private readonly providers: ProviderRef,
    private readonly secrets: Secrets,
    private readonly maxLifetimeDays: number,
    private readonly sql: Sql,
  ) {}

  /** The keyed hash a token value is stored under: the OIDC adapter's own key for the access token. */
  hashOf(value: string): string {
    return storedIdOf(this.secrets, value);
  }

  async create(em: EntityManager, owner: { id: string }, draft: PersonalAccessTokenDraft, now = new Date()): Promise<{ personalAccessToken: PersonalAccessToken; token: string }> {
    const problems: Problem[] = [];
    const name = draft.name.trim();
    if (name === '' || name.length > NAME_MAX_LENGTH || CONTROL_CHARACTERS.test(name)) {
      problems.push({ field: 'name', message: `Give the token a name of 1 to ${NAME_MAX_LENGTH} characters, without control characters` });
    }
    const client = isUuid(draft.authClientId) ? await em.findOne(AuthClient, { id: draft.authClientId }) : null;
    if (!client || !client.grants.includes(AuthClientGrant.PERSONAL_ACCESS)) {
      problems.push({ field: 'authClientId', message: 'Choose an auth client that allows Personal Access Tokens' });
    }
    const scopes = [...new Set(draft.scopes ?? [])];
    const unknown = scopes.filter((scope) => !(PERSONAL_ACCESS_SCOPES as readonly string[]).includes(scope));
    if (unknown.length > 0) {
      problems.push({ field: 'scopes', message: `Unknown scope "${unknown[0]}"; choose from ${PERSONAL_ACCESS_SCOPES.join(', ')}` });
    }
    const latest = new Date(now.getTime() + this.maxLifetimeDays * DAY_MS);
    const expiresAt = draft.expiresAt ?? latest;
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now.getTime()) {
      problems.push({ field: 'expiresAt', message: 'The expiry must be in the future' });
    } else if (expiresAt.getTime() > latest.getTime()) {
      problems.push({ field: 'expiresAt', message: `A token can live at most ${this.maxLifetimeDays} days, until ${latest.toISOString()}` });
    }
    if (problems.length > 0 || !client) throw new ValidationFailed(problems as [Problem, ...Problem[]]);

    const provider = this.providers.current;
    const oidcClient = await provider.Client.find(client.id);
    if (!oidcClient) throw ValidationFailed.of('authClientId', 'Choose an auth client that allows Personal Access Tokens');

    const value = `${PERSONAL_ACCESS_TOKEN_PREFIX}${randomToken(32)}`;
    const user = em.getReference(User, owner.id);
    const personalAccessToken = em.create(PersonalAccessToken, {
      user, client, name, scopes, tokenHash: this.hashOf(value), tokenPrefix: value.slice(0, DISPLAYED_CHARS), expiresAt,
    });
    await flushOrExplain(em, { personal_access_tokens_user_name_unique: () => nameTaken(name) });

    // The token is an access token like any other, under our own value and lifetime.
    // No Grant: a Grant lives 30 days, a token up to its own expiry; what the token may do is checked on each use.
    const accessToken = new provider.AccessToken({
      grantId: undefined as unknown as string,
      jti: value,
      client: oidcClient,
      accountId: user.id,
      gty: PERSONAL_ACCESS_GTY,
      scope: scopes.join(' ') || undefined,
      expiresIn: Math.max(1, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
    });
    // oidc-provider picks the format only when it makes the value itself.
    (accessToken as unknown as { format: string }).format = 'opaque';
    try {
      await accessToken.save();
    } catch (error) {
      await em.nativeDelete(PersonalAccessToken, { id: personalAccessToken.id });
      throw error;
    }
    return { personalAccessToken, token: value };
  }

  /** The user's tokens that are not revoked, newest first. */
  async list(em: EntityManager, owner: { id: string }, first: number, after?: string | null): Promise<Page<PersonalAccessToken>> {
    checkPageSize(first);
    const where = { user: owner.id, revokedAt: null };
    const qb = em.createQueryBuilder(PersonalAccessToken, 't').where(where);
    if (after) {
      const [createdAt, id] = decodeCursor(after, 2, ([time, id]) => !Number.isNaN(Date.parse(time!)) && isUuid(id!));
      qb.andWhere('(t.created_at, t.id) < (?, ?)', [new Date(createdAt!), id]);
    }
    const rows = await qb.orderBy([{ createdAt: 'desc' }, { id: 'desc' }]).limit(first + 1).getResultList();
    await em.populate(rows, ['client']);
    return {
      items: rows.slice(0, first), hasNextPage: rows.length > first, countAll: () => em.fork().count(PersonalAccessToken, where), cursorOf,
    };
  }

  /** Revokes one of the user's own tokens. Another user's id is NOT_FOUND, so that ids disclose nothing. */
  async revoke(em: EntityManager, owner: { id: string }, id: string): Promise<PersonalAccessToken> {
    const token = isUuid(id) ? await em.findOne(PersonalAccessToken, { id, user: owner.id, revokedAt: null }, { populate: ['client'] }) : null;
    if (!token) throw new NotFound('There is no personal access token with this id');
    token.revokedAt = new Date();
    await em.flush();
    await em.nativeDelete(OidcPayload, { model: 'AccessToken', id: token.tokenHash });
    return token;
  }

  /**
   * The token's id and last use if it may be used now: not revoked, not expired, its user active, and its client still
   * allowing personal access tokens. Checked on every use, so editing or deleting a client takes effect at once.
   */
  async usable(value: string): Promise<UsablePersonalAccessToken | null> {
    return (await this.sql.one<UsablePersonalAccessToken>(
      `select t.id, t.last_used_at as "lastUsedAt" from personal_access_tokens t
       join users u on u.id = t.user_id and u.is_active
       join auth_clients c on c.id = t.client_id and $2 = any(c.grants)
       where t.token_hash = $1 and t.revoked_at is null and t.expires_at > now()`,
      [this.hashOf(value), AuthClientGrant.PERSONAL_ACCESS],
      { prepare: true },
    )) ?? null;
  }

  /** Records a use, writing at most once a minute per token (and noting the write in `token`). */
  async touch(token: UsablePersonalAccessToken, now = new Date()): Promise<void> {
    if (token.lastUsedAt && now.getTime() - token.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
    token.lastUsedAt = now;
    await this.sql.run(
      'update personal_access_tokens set last_used_at = $2 where id = $1 and (last_used_at is null or last_used_at < $3)',
      [token.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)],
    );
  }
}
