// Personal access tokens: minted as oidc-provider access tokens (so /graphql and introspection take them like any
// other), with a recognisable prefix, stored only as a keyed hash, listed and revoked. Checking one on use is
// personal-access-token.usage.ts.
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  CLI_SOURCE, diffChanges, recordAuditEvent, type AuditSource,
} from '../audit/audit-log.service.js';
import { ALL_SCOPES, isApiScope } from '../access-control/scopes.js';
import { AuthClient, AuthClientGrant } from '../auth-clients/auth-client.entity.js';
import {
  NotFound, ScopeMissing, ValidationFailed, type Problem,
} from '../shared/errors.js';
import { flushOrExplain, isUuid } from '../shared/db-errors.js';
import { randomToken } from '../shared/secrets.js';
import { invisibleCharactersProblem, normalizeName } from '../shared/text.js';
import {
  checkPageSize, decodeCursor, encodeCursor, type Page,
} from '../shared/paging.js';
import { User } from '../users/user.entity.js';
import { PERSONAL_ACCESS_GTY, type AccessTokenStore } from '../oidc/token-store.js';
import { PersonalAccessToken } from './personal-access-token.entity.js';

/** Marks our personal access tokens, so secret scanners can recognise a leaked one. */
export const PERSONAL_ACCESS_TOKEN_PREFIX = 'acp_';
/** What a personal access token may carry: any scope but offline_access, which means nothing for a long-lived token. */
export const PERSONAL_ACCESS_SCOPES: readonly string[] = ALL_SCOPES.filter((scope) => scope !== 'offline_access');
const NAME_MAX_LENGTH = 100;
const DISPLAYED_CHARS = 10;
const DAY_MS = 24 * 3600 * 1000;

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
  constructor(private readonly tokens: AccessTokenStore, private readonly maxLifetimeDays: number) {}

  /**
   * Creates a token for `owner`. `heldScopes` are the scopes of the token making the request, which a new token can
   * never exceed; null when no token is involved (the CLI on the server). The row and its
   * `personal_access_token.created` audit event are written in one transaction.
   */
  async create(
    em: EntityManager,
    owner: { id: string },
    draft: PersonalAccessTokenDraft,
    heldScopes: ReadonlySet<string> | null,
    source: AuditSource = CLI_SOURCE,
    now = new Date(),
  ): Promise<{ personalAccessToken: PersonalAccessToken; token: string }> {
    const problems: Problem[] = [];
    const name = normalizeName(draft.name);
    const invisible = invisibleCharactersProblem(name, 'The name');
    if (name === '' || name.length > NAME_MAX_LENGTH) {
      problems.push({ field: 'name', message: `Give the token a name of 1 to ${NAME_MAX_LENGTH} characters` });
    } else if (invisible) {
      problems.push({ field: 'name', message: invisible });
    }
    const client = isUuid(draft.authClientId) ? await em.findOne(AuthClient, { id: draft.authClientId }) : null;
    if (!client || !client.grants.includes(AuthClientGrant.PERSONAL_ACCESS)) {
      problems.push({ field: 'authClientId', message: 'Choose an auth client that allows Personal Access Tokens' });
    }
    const scopes = [...new Set(draft.scopes ?? [])];
    const unknown = scopes.filter((scope) => !PERSONAL_ACCESS_SCOPES.includes(scope));
    const notAllowed = scopes.filter((scope) => isApiScope(scope) && client && !client.scopes.includes(scope));
    if (unknown.length > 0) {
      problems.push({ field: 'scopes', message: `Unknown scope "${unknown[0]}"; choose from ${PERSONAL_ACCESS_SCOPES.join(', ')}` });
    } else if (notAllowed.length > 0) {
      problems.push({ field: 'scopes', message: `The auth client does not allow the scope "${notAllowed[0]}" (invalid_scope)` });
    }
    const latest = new Date(now.getTime() + this.maxLifetimeDays * DAY_MS);
    const expiresAt = draft.expiresAt ?? latest;
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now.getTime()) {
      problems.push({ field: 'expiresAt', message: 'The expiry must be in the future' });
    } else if (expiresAt.getTime() > latest.getTime()) {
      problems.push({ field: 'expiresAt', message: `A token can live at most ${this.maxLifetimeDays} days, until ${latest.toISOString()}` });
    }
    if (problems.length > 0 || !client) throw new ValidationFailed(problems as [Problem, ...Problem[]]);
    const beyondHeld = heldScopes && scopes.find((scope) => !heldScopes.has(scope));
    if (beyondHeld) throw new ScopeMissing(beyondHeld, `Your token does not hold the scope "${beyondHeld}", so it cannot give it to a new token`);

    const value = `${PERSONAL_ACCESS_TOKEN_PREFIX}${randomToken(32)}`;
    const tokenHash = this.tokens.storedIdOf(value);
    // The token is an access token like any other, under our own value and lifetime. Stored first: it works only once
    // its record (below) exists, and no one knows its value before then. Its record and the audit event are then one
    // transaction; if that fails, the token goes again.
    await this.tokens.issue({
      value,
      clientId: client.id,
      accountId: owner.id,
      gty: PERSONAL_ACCESS_GTY,
      scope: scopes.join(' ') || undefined,
      expiresIn: Math.max(1, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
    });
    try {
      const personalAccessToken = await em.transactional(async (tx) => {
        const created = tx.create(PersonalAccessToken, {
          user: tx.getReference(User, owner.id), client, name, scopes, tokenHash, tokenPrefix: value.slice(0, DISPLAYED_CHARS), expiresAt,
        });
        await recordAuditEvent(tx, {
          ...source,
          action: 'personal_access_token.created',
          target: { type: 'personal_access_token', id: created.id },
          changes: diffChanges(null, {
            name, userId: owner.id, authClientId: client.id, scopes, expiresAt,
          }),
        });
        await flushOrExplain(tx, { personal_access_tokens_user_name_unique: () => nameTaken(name) });
        return created;
      });
      return { personalAccessToken, token: value };
    } catch (error) {
      await this.tokens.revoke(tokenHash);
      throw error;
    }
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

  /**
   * Revokes one of the user's own tokens, with a `personal_access_token.revoked` audit event in the same transaction.
   * Another user's id is NOT_FOUND, so that ids disclose nothing; so is a token revoked meanwhile (the row is locked).
   */
  async revoke(em: EntityManager, owner: { id: string }, id: string, source: AuditSource = CLI_SOURCE): Promise<PersonalAccessToken> {
    const token = await em.transactional(async (tx) => {
      const found = isUuid(id)
        ? await tx.findOne(PersonalAccessToken, { id, user: owner.id, revokedAt: null }, { lockMode: LockMode.PESSIMISTIC_WRITE })
        : null;
      if (!found) throw new NotFound('There is no personal access token with this id');
      found.revokedAt = new Date();
      await recordAuditEvent(tx, {
        ...source,
        action: 'personal_access_token.revoked',
        target: { type: 'personal_access_token', id: found.id },
        changes: { revokedAt: { before: null, after: found.revokedAt.toISOString() } },
      });
      await tx.populate(found, ['client']);
      return found;
    });
    // Its record says revoked already, which every check reads; deleting the token itself frees its row.
    await this.tokens.revoke(token.tokenHash);
    return token;
  }
}
