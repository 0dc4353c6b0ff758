// Auth clients: creating them with a one-time secret, finding and listing them, rotating, revoking and checking their
// secrets.
// Plain SQL: these are the hot paths of the token endpoint and the GraphQL list.
import { ChangeCache } from '../db/change-cache.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Sql } from '../db/sql.js';
import { NotFound, ValidationFailed, type Problem } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
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

/** How long the previous secret keeps working after a rotation, unless told otherwise: a day. */
export const DEFAULT_PREVIOUS_SECRET_EXPIRES_IN = 86_400;
/** The longest overlap a rotation may leave: 30 days. */
export const MAX_PREVIOUS_SECRET_EXPIRES_IN = 30 * 86_400;
/** A secret's lastUsedAt is written at most this often. */
export const SECRET_LAST_USED_RESOLUTION_MS = 60_000;

/**
 * A secret of a client as the API shows it: never its hash. Times are ISO 8601 text, as PostgreSQL's JSON writes them
 * (the GraphQL type turns them into dates).
 */
export interface AuthClientSecretSummary {
  id: string;
  prefix: string;
  createdAt: string;
  /** When it stops working; null for the current secret. */
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** An auth client as stored (the `auth_clients` row). */
export interface AuthClientRecord {
  id: string;
  name: string;
  grants: AuthClientGrant[];
  redirectUris: string[];
  /** The API scopes it may ask for (see access-control/scopes.ts). */
  scopes: string[];
  /** The secrets that work now, newest (the current one) first: one, or two while a rotation overlaps. */
  secrets: AuthClientSecretSummary[];
  createdAt: Date;
  updatedAt: Date;
}

// A secret works while it has no expiry or its expiry is still ahead.
const ACTIVE_SECRET = '(s.expires_at is null or s.expires_at > now())';
const secretJson = (s: string) => `json_build_object('id', ${s}.id, 'prefix', ${s}.prefix, 'createdAt', ${s}.created_at, 'expiresAt', ${s}.expires_at, 'lastUsedAt', ${s}.last_used_at)`;
// Written for a statement reading from auth_clients (unaliased), whose rows it correlates with.
const SECRETS_COLUMN = `(select coalesce(json_agg(${secretJson('a')} order by a.created_at desc, a.id desc), '[]')
  from (select * from auth_client_secrets s where s.client_id = auth_clients.id and ${ACTIVE_SECRET}
        order by s.created_at desc, s.id desc limit 2) a) as "secrets"`;
const CLIENT_COLUMNS = `id, name, grants, redirect_uris as "redirectUris", scopes, created_at as "createdAt", updated_at as "updatedAt"`;
const COLUMNS = `${CLIENT_COLUMNS}, ${SECRETS_COLUMN}`;

const newClientSecret = () => `${CLIENT_SECRET_PREFIX}${randomToken(32)}`;
const clientNotFound = () => new NotFound('There is no auth client with this id');

/** [secret id, keyed hash, expiry in ms since the epoch or null]: what the provider holds of each working secret. */
type ProviderSecret = [id: string, hash: string, expiresAt: number | null];

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

  // When this instance last wrote each secret's lastUsedAt, so a busy client's token requests don't each write.
  readonly #secretUses = new Map<string, number>();

  constructor(
    private readonly secrets: Secrets,
    private readonly sql: Sql,
    changes: ChangeFeed,
    private readonly logger?: Logger,
  ) {
    this.#counts = new ChangeCache(changes, 'auth_clients', async (pattern) => {
      const where = pattern === '' ? '' : 'where lower(name) like $1';
      const row = await this.sql.one<{ count: string }>(`select count(*) from auth_clients ${where}`, pattern === '' ? [] : [pattern]);
      return Number(row?.count ?? 0);
    }, { byRow: false, maxEntries: 1000 });
  }

  async create(draft: AuthClientDraft, createdBy?: { id: string }): Promise<CreatedAuthClient> {
    const problems = validateAuthClient(draft);
    if (problems.length > 0) throw new ValidationFailed(problems as [Problem, ...Problem[]]);
    const {
      name, grants, redirectUris, scopes,
    } = normalizeAuthClient(draft);

    const clientSecret = newClientSecret();
    // One statement, so one round trip and one transaction: the unique index on lower(name) settles concurrent
    // creates, and a taken name inserts neither the client nor its secret.
    const row = await this.sql.one<AuthClientRecord>(
      `with client as (
         insert into auth_clients (id, name, grants, redirect_uris, scopes, created_by_id)
         values (gen_random_uuid(), $1, $2, $3, $4, $7)
         on conflict ((lower(name))) do nothing
         returning ${CLIENT_COLUMNS}
       ), secret as (
         insert into auth_client_secrets (id, client_id, secret_hash, prefix)
         select gen_random_uuid(), id, $5, $6 from client
         returning *
       )
       select client.*, json_build_array(${secretJson('secret')}) as "secrets" from client, secret`,
      [name, grants, redirectUris, scopes, this.secrets.hash('client-secret', clientSecret), clientSecret.slice(0, DISPLAYED_SECRET_CHARS), createdBy?.id ?? null],
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

  /**
   * A new secret for the client, shown only in the answer. The secret that was current keeps working for
   * `previousSecretExpiresIn` seconds (0: it stops now), never longer than it already would.
   *
   * A client has at most two working secrets. A rotation while an earlier one still overlaps ends that earliest secret
   * at once rather than refusing: whoever rotates (often a scheduled job, as with Hydra or Keycloak) always gets a new
   * secret, and the secret that was current until now keeps its overlap.
   *
   * Rotations of one client take turns on its row lock, so concurrent ones still leave at most two (the statement is
   * the rotate_auth_client_secret function of the client_secrets migration).
   */
  async rotateSecret(id: string, previousSecretExpiresIn: number = DEFAULT_PREVIOUS_SECRET_EXPIRES_IN): Promise<CreatedAuthClient> {
    if (!Number.isInteger(previousSecretExpiresIn) || previousSecretExpiresIn < 0 || previousSecretExpiresIn > MAX_PREVIOUS_SECRET_EXPIRES_IN) {
      throw ValidationFailed.of(
        'previousSecretExpiresIn',
        `previousSecretExpiresIn is a number of seconds from 0 (the previous secret stops now) to ${MAX_PREVIOUS_SECRET_EXPIRES_IN} (30 days)`,
      );
    }
    if (!isUuid(id)) throw clientNotFound();
    const clientSecret = newClientSecret();
    // One statement (see the client_secrets migration): atomic, and serialised per client by its row lock.
    const rotated = await this.sql.one<{ secretId: string | null }>(
      'select rotate_auth_client_secret($1, $2, $3, $4) as "secretId"',
      [id, this.secrets.hash('client-secret', clientSecret), clientSecret.slice(0, DISPLAYED_SECRET_CHARS), previousSecretExpiresIn],
    );
    if (!rotated?.secretId) throw clientNotFound();
    const authClient = await this.findById(id);
    if (!authClient) throw clientNotFound();
    return { authClient, clientSecret };
  }

  /**
   * Ends one working secret at once. Never the last one: a client always keeps a secret. Ending the current secret
   * while the previous one still overlaps makes that previous one current again, with no expiry, so the client is
   * never left to lose its last secret when the overlap ends. A secret of another client, or one already ended, is not found.
   */
  async revokeSecret(id: string, secretId: string): Promise<AuthClientRecord> {
    if (!isUuid(id)) throw clientNotFound();
    const secretNotFound = () => new NotFound('This auth client has no working secret with this id');
    if (!isUuid(secretId)) throw secretNotFound();
    const outcome = (await this.sql.one<{ outcome: string }>('select revoke_auth_client_secret($1, $2) as outcome', [id, secretId]))?.outcome;
    if (outcome === 'client_not_found') throw clientNotFound();
    if (outcome === 'secret_not_found') throw secretNotFound();
    if (outcome === 'last_secret') {
      throw ValidationFailed.of('secretId', 'This is the only working secret of the auth client; rotate it instead, or rotate first and then revoke the old one');
    }
    const authClient = await this.findById(id);
    if (!authClient) throw clientNotFound();
    return authClient;
  }

  /**
   * What oidc-provider holds as the client's client_secret: its working secrets' ids, keyed hashes and expiries, which
   * verifySecret checks a presented secret against. The expiry is checked at the moment of use, so a cached copy
   * stops accepting a secret when it expires.
   */
  async providerSecret(id: string): Promise<string> {
    const rows = await this.sql.rows<{ id: string; hash: string; expiresAt: Date | null }>(
      `select id, secret_hash as hash, expires_at as "expiresAt" from auth_client_secrets s
       where client_id = $1 and ${ACTIVE_SECRET} order by created_at desc, id desc`,
      [id],
      { prepare: true },
    );
    return JSON.stringify(rows.map((row): ProviderSecret => [row.id, row.hash, row.expiresAt?.getTime() ?? null]));
  }

  /**
   * Whether `presented` is one of the secrets in `providerSecret` (see above) that has not expired: each compared in
   * constant time. A match records the secret's use (lastUsedAt) in the background.
   */
  verifySecret(providerSecret: string, presented: string, now = Date.now()): boolean {
    let stored: ProviderSecret[];
    try {
      stored = JSON.parse(providerSecret) as ProviderSecret[];
    } catch {
      return false;
    }
    if (!Array.isArray(stored)) return false;
    const working = stored.filter(([, , expiresAt]) => expiresAt === null || expiresAt > now);
    const match = this.secrets.matchAny('client-secret', presented, working.map(([, hash]) => hash));
    if (match === -1) return false;
    this.#recordSecretUse(working[match]![0], now);
    return true;
  }

  /**
   * Writes the secret's lastUsedAt, at most once a minute (this instance remembers its last write; the conditional
   * update keeps several instances to one a minute too). Not awaited: a token request never waits for it.
   */
  #recordSecretUse(secretId: string, now: number): void {
    const last = this.#secretUses.get(secretId);
    if (last !== undefined && now - last < SECRET_LAST_USED_RESOLUTION_MS) return;
    if (this.#secretUses.size >= 10_000) this.#secretUses.clear();
    this.#secretUses.set(secretId, now);
    this.sql.run(
      'update auth_client_secrets set last_used_at = $2 where id = $1 and (last_used_at is null or last_used_at <= $3)',
      [secretId, new Date(now), new Date(now - SECRET_LAST_USED_RESOLUTION_MS)],
      { prepare: true },
    ).catch((error: unknown) => {
      this.#secretUses.delete(secretId);
      this.logger?.error('Could not record the use of a client secret', { secretId, error: String(error) });
    });
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
