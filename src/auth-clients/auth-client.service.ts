// Auth clients: creating them with a one-time secret, finding and listing them, and checking their secrets.
// Plain SQL: these are the hot paths of the token endpoint and the GraphQL list.
import {
  auditInsertSelect, CLI_SOURCE, diffChanges, type AuditSource,
} from '../audit/audit-log.service.js';
import { ChangeCache } from '../db/change-cache.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Sql } from '../db/sql.js';
import { ValidationFailed, type Problem } from '../shared/errors.js';
import { escapeLike, isUuid } from '../shared/db-errors.js';
import { randomToken, type Secrets } from '../shared/secrets.js';
import {
  checkPageSize, decodeCursor, encodeCursor, type Page,
} from '../shared/paging.js';
import type { AuthClientGrant } from './auth-client.entity.js';
import { normalizeAuthClient, validateAuthClient, type AuthClientDraft } from './auth-client.validation.js';

/** Marks our client secrets, so secret scanners can recognise a leaked one. */
export const CLIENT_SECRET_PREFIX = 'acs_';
const DISPLAYED_SECRET_CHARS = 10;

/** An auth client as stored (the `auth_clients` row). */
export interface AuthClientRecord {
  id: string;
  name: string;
  grants: AuthClientGrant[];
  redirectUris: string[];
  /** The API scopes it may ask for (see access-control/scopes.ts). */
  scopes: string[];
  /** HMAC-SHA-256 of the secret under APP_KEY; never leaves the service. */
  secretHash: string;
  secretPrefix: string;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `id, name, grants, redirect_uris as "redirectUris", scopes, secret_hash as "secretHash", secret_prefix as "secretPrefix",
  created_at as "createdAt", updated_at as "updatedAt"`;

export interface CreatedAuthClient {
  authClient: AuthClientRecord;
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

// A cursor is the sort key of the last row seen: the lower-cased name (unique), then the id, kept for older cursors.
const cursorOf = (authClient: AuthClientRecord) => encodeCursor([authClient.name.toLowerCase(), authClient.id]);

export class AuthClientService {
  // Counting every match of a search reads all of them; repeated pages and polls of one list ask the same question.
  readonly #counts: ChangeCache<number>;

  constructor(private readonly secrets: Secrets, private readonly sql: Sql, changes: ChangeFeed) {
    this.#counts = new ChangeCache(changes, 'auth_clients', async (pattern) => {
      const where = pattern === '' ? '' : 'where lower(name) like $1';
      const row = await this.sql.one<{ count: string }>(`select count(*) from auth_clients ${where}`, pattern === '' ? [] : [pattern]);
      return Number(row?.count ?? 0);
    }, { byRow: false, maxEntries: 1000 });
  }

  /**
   * Creates a client with a new secret, and its `auth_client.created` audit event in the same transaction. The audit
   * source defaults to `createdBy` as the acting user, or the CLI.
   */
  async create(draft: AuthClientDraft, createdBy?: { id: string }, source?: AuditSource): Promise<CreatedAuthClient> {
    const problems = validateAuthClient(draft);
    if (problems.length > 0) throw new ValidationFailed(problems as [Problem, ...Problem[]]);
    const {
      name, grants, redirectUris, scopes,
    } = normalizeAuthClient(draft);

    const clientSecret = `${CLIENT_SECRET_PREFIX}${randomToken(32)}`;
    // One statement: the unique index on lower(name) settles concurrent creates, and a taken name inserts nothing.
    const auditSource = source ?? (createdBy ? { actor: { type: 'user' as const, id: createdBy.id } } : CLI_SOURCE);
    // Its audit event is written by the same statement, only when a row was inserted.
    const audit = auditInsertSelect({
      ...auditSource,
      action: 'auth_client.created',
      target: { type: 'auth_client' },
      changes: diffChanges(null, {
        name, grants, redirectUris, scopes,
      }),
    }, 'created', 8);
    const row = await this.sql.one<AuthClientRecord>(
      `with created as (
         insert into auth_clients (id, name, grants, redirect_uris, scopes, secret_hash, secret_prefix, created_by_id)
         values (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7)
         on conflict ((lower(name))) do nothing
         returning ${COLUMNS}
       ), audited as (${audit.text})
       select * from created`,
      [name, grants, redirectUris, scopes, this.secrets.hash('client-secret', clientSecret), clientSecret.slice(0, DISPLAYED_SECRET_CHARS), createdBy?.id ?? null,
        ...audit.values],
      { prepare: true },
    );
    if (!row) throw nameTaken(name);
    return { authClient: row, clientSecret };
  }

  /** The client with this id, or null, also for an id that is not a UUID at all. */
  async findById(id: string): Promise<AuthClientRecord | null> {
    if (!isUuid(id)) return null;
    return (await this.sql.one<AuthClientRecord>(`select ${COLUMNS} from auth_clients where id = $1`, [id], { prepare: true })) ?? null;
  }

  verifySecret(authClient: Pick<AuthClientRecord, 'secretHash'>, presented: string): boolean {
    return this.secrets.verify('client-secret', presented, authClient.secretHash);
  }

  /**
   * One page of clients sorted by name (any case), optionally filtered by a case-insensitive substring of the name.
   * Both walk an index: the unique one on lower(name) for the order, the trigram one for the search.
   */
  async list({ first, after, search }: PageRequest): Promise<Page<AuthClientRecord>> {
    checkPageSize(first);
    const term = search?.trim().toLowerCase();
    if (term?.includes('\u0000')) throw ValidationFailed.of('search', 'The search must not contain NUL characters');
    const pattern = term ? `%${escapeLike(term)}%` : null;
    // Names are unique ignoring case, so the name alone places the cursor.
    const [afterName] = after ? decodeCursor(after, 2, ([, id]) => isUuid(id!)) : [null];

    const values: unknown[] = [];
    const conditions: string[] = [];
    if (pattern) conditions.push(`lower(name) like $${values.push(pattern)}`);
    if (afterName) conditions.push(`lower(name) > $${values.push(afterName)}`);
    const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';

    const rows = await this.sql.rows<AuthClientRecord>(
      `select ${COLUMNS} from auth_clients ${where} order by lower(name) limit $${values.push(first + 1)}`,
      values,
      // A search's best plan depends on the term; the plain list always walks the name index.
      { prepare: !pattern },
    );
    return {
      items: rows.slice(0, first),
      hasNextPage: rows.length > first,
      // Counting reads every match: done only when the caller asks for totalCount.
      countAll: async () => (await this.#counts.get(pattern ?? ''))!,
      cursorOf,
    };
  }
}
