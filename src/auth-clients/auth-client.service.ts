// Auth clients: creating them with a one-time secret, finding and listing them, and checking their secrets.
import { QueryOrder, raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationFailed, type Problem } from '../shared/errors.js';
import { escapeLike, isUniqueViolation, isUuid } from '../shared/db-errors.js';
import { randomToken, type Secrets } from '../shared/secrets.js';
import {
  checkPageSize, decodeCursor, encodeCursor, type Page,
} from '../shared/pages.js';
import type { User } from '../users/user.entity.js';
import { AuthClient } from './auth-client.entity.js';
import { normalizeAuthClient, validateAuthClient, type AuthClientDraft } from './auth-client.validation.js';

/** Marks our client secrets, so secret scanners can recognise a leaked one. */
export const CLIENT_SECRET_PREFIX = 'acs_';
const DISPLAYED_SECRET_CHARS = 10;

export interface CreatedAuthClient {
  authClient: AuthClient;
  /** The only time the secret exists outside the caller's hands. */
  clientSecret: string;
}

export interface PageRequest {
  first: number;
  after?: string | null;
  search?: string | null;
}

function nameTaken(name: string): ValidationFailed {
  return ValidationFailed.of('name', `An auth client named "${name}" already exists`);
}

// A cursor is the sort key of the last row seen: the lower-cased name, then the id as a tie-break.
const cursorOf = (authClient: AuthClient) => encodeCursor([authClient.name.toLowerCase(), authClient.id]);

export class AuthClientService {
  constructor(private readonly secrets: Secrets) {}

  async create(em: EntityManager, draft: AuthClientDraft, createdBy?: User): Promise<CreatedAuthClient> {
    const problems = validateAuthClient(draft);
    if (problems.length > 0) throw new ValidationFailed(problems as [Problem, ...Problem[]]);
    const { name, grants, redirectUris } = normalizeAuthClient(draft);

    // A friendly answer in the common case; the unique index below settles races.
    const existing = await em.getConnection().execute('select 1 from auth_clients where lower(name) = lower(?) limit 1', [name]);
    if (existing.length > 0) throw nameTaken(name);

    const clientSecret = `${CLIENT_SECRET_PREFIX}${randomToken(32)}`;
    const authClient = em.create(AuthClient, {
      name,
      grants,
      redirectUris,
      secretHash: this.secrets.hash('client-secret', clientSecret),
      secretPrefix: clientSecret.slice(0, DISPLAYED_SECRET_CHARS),
      createdBy,
    });
    try {
      await em.flush();
    } catch (error) {
      em.clear();
      if (isUniqueViolation(error, 'auth_clients_name_lower_unique')) throw nameTaken(name);
      throw error;
    }
    return { authClient, clientSecret };
  }

  /** The client with this id, or null, also for an id that is not a UUID at all. */
  async findById(em: EntityManager, id: string): Promise<AuthClient | null> {
    if (!isUuid(id)) return null;
    return em.findOne(AuthClient, { id });
  }

  verifySecret(authClient: Pick<AuthClient, 'secretHash'>, presented: string): boolean {
    return this.secrets.verify('client-secret', presented, authClient.secretHash);
  }

  /** One page of clients sorted by name (any case), optionally filtered by a case-insensitive substring of the name. */
  async list(em: EntityManager, { first, after, search }: PageRequest): Promise<Page<AuthClient>> {
    checkPageSize(first);
    const term = search?.trim().toLowerCase();
    if (term?.includes('\u0000')) throw ValidationFailed.of('search', 'The search must not contain NUL characters');
    const qb = em.createQueryBuilder(AuthClient, 'c');
    if (term) qb.where('lower(c.name) like ?', [`%${escapeLike(term)}%`]);
    const totalCount = await qb.clone().getCount();

    if (after) {
      const [lowerName, id] = decodeCursor(after, 2, ([, id]) => isUuid(id!));
      qb.andWhere('(lower(c.name), c.id) > (?, ?)', [lowerName, id]);
    }
    const rows = await qb
      .orderBy([{ [raw('lower(c.name)')]: QueryOrder.ASC }, { id: QueryOrder.ASC }])
      .limit(first + 1)
      .getResultList();

    return {
      items: rows.slice(0, first), hasNextPage: rows.length > first, totalCount, cursorOf,
    };
  }
}
