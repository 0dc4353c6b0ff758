// Auth clients: creating them with a one-time secret, finding and listing them, rotating, revoking and checking their
// secrets.
// Plain SQL: these are the hot paths of the token endpoint and the GraphQL list.
import { randomUUID } from 'node:crypto';
import {
  auditInsertSelect, CLI_SOURCE, diffChanges, recordAuditEvent, type AuditAction, type AuditChanges, type AuditSource,
} from '../audit/audit-log.service.js';
import { ChangeCache } from '../db/change-cache.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Sql, SqlTransaction } from '../db/sql.js';
import { keysetPage, searchPattern, SqlConditions } from '../db/list-query.js';
import { NotFound, ValidationFailed, type Problem } from '../shared/errors.js';
import { describeError, type Logger } from '../shared/logger.js';
import { revokeClientTokens } from '../oidc/client-tokens.js';
import { isUniqueViolation, isUuid } from '../shared/db-errors.js';
import { LastUsed } from '../shared/last-used.js';
import { randomToken, type Secrets } from '../shared/secrets.js';
import {
  decodeCursor, encodeCursor, type Page,
} from '../shared/paging.js';
import { VIEWER_COLUMNS, type ViewerRecord } from '../users/user.service.js';
import { AuthClientGrant } from './auth-client.entity.js';
import { normalizeAuthClient, validateAuthClient, type AuthClientDraft } from './auth-client.validation.js';

/** Marks our client secrets, so secret scanners can recognise a leaked one. */
export const CLIENT_SECRET_PREFIX = 'acs_';
const DISPLAYED_SECRET_CHARS = 10;
/** How long the previous secret keeps working after a rotation, unless told otherwise: a day. */
export const DEFAULT_PREVIOUS_SECRET_EXPIRES_IN = 86_400;
/** The longest overlap a rotation may leave: 30 days. */
export const MAX_PREVIOUS_SECRET_EXPIRES_IN = 30 * 86_400;

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
  /**
   * The secrets that work now, newest (the current one) first: one, or two while a rotation overlaps. Read with a single
   * client; a list leaves them out (see secretsOf).
   */
  secrets?: AuthClientSecretSummary[];
  createdAt: Date;
  updatedAt: Date;
  /** A disabled client gets no tokens and its tokens are refused, until it is enabled again. */
  enabled: boolean;
  skipConsent: boolean;
  /** Seconds. */
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  lastUsedAt: Date | null;
  createdById: string | null;
  /** False for a public client: no secret, token_endpoint_auth_method none, PKCE. */
  confidential: boolean;
  /** Which client the service keeps itself (admin-console.ts), or null. */
  builtIn: string | null;
}

// A secret works while it has no expiry or its expiry is still ahead.
const ACTIVE_SECRET = '(s.expires_at is null or s.expires_at > now())';
const secretJson = (s: string) => `json_build_object('id', ${s}.id, 'prefix', ${s}.prefix, 'createdAt', ${s}.created_at, 'expiresAt', ${s}.expires_at, 'lastUsedAt', ${s}.last_used_at)`;
// The working secrets of the client `clientIdSql` names, newest first, as one JSON array.
const secretsOfClient = (clientIdSql: string) => `(select coalesce(json_agg(${secretJson('a')} order by a.created_at desc, a.id desc), '[]')
  from (select * from auth_client_secrets s where s.client_id = ${clientIdSql} and ${ACTIVE_SECRET}
        order by s.created_at desc, s.id desc limit 2) a)`;
// Written for a statement reading from auth_clients (unaliased), whose rows it correlates with.
const SECRETS_COLUMN = `${secretsOfClient('auth_clients.id')} as "secrets"`;
const CLIENT_COLUMNS = `id, name, grants, redirect_uris as "redirectUris", scopes, created_at as "createdAt", updated_at as "updatedAt",
  enabled, skip_consent as "skipConsent", access_token_lifetime as "accessTokenLifetime", refresh_token_lifetime as "refreshTokenLifetime",
  last_used_at as "lastUsedAt", created_by_id as "createdById", confidential, built_in as "builtIn"`;
const COLUMNS = `${CLIENT_COLUMNS}, ${SECRETS_COLUMN}`;

const newClientSecret = () => `${CLIENT_SECRET_PREFIX}${randomToken(32)}`;

/** [secret id, keyed hash, expiry in ms since the epoch or null]: what the provider holds of each working secret. */
type ProviderSecret = [id: string, hash: string, expiresAt: number | null];

/** A client read with its working secrets. */
export type AuthClientWithSecrets = AuthClientRecord & { secrets: AuthClientSecretSummary[] };

export interface CreatedAuthClient {
  authClient: AuthClientWithSecrets;
  /** The only time the secret exists outside the caller's hands; null for a public client, which has none. */
  clientSecret: string | null;
  /** Resolves once this instance has heard the creation (ChangeFeed.expect): its caller's next request sees it. */
  heard: Promise<void>;
}

/** A client given a new secret: by a rotation, or by becoming confidential. */
export interface AuthClientWithNewSecret {
  authClient: AuthClientWithSecrets;
  clientSecret: string;
}

/** What names a page of the list: first, the name after which it starts, the search pattern, enabled, unusedSince. */
type PageKey = [number, string | null, string | null, boolean | null, string | null];

export interface PageRequest {
  first: number;
  after?: string | null;
  search?: string | null;
  /** Only enabled (true) or disabled (false) clients. */
  enabled?: boolean | null;
  /** Only clients never used, or last used before this time. */
  unusedSince?: Date | null;
}

/** What an update may change; anything left out stays as it is. */
export interface AuthClientChanges {
  name?: string | null;
  grants?: readonly string[] | null;
  redirectUris?: readonly string[] | null;
  scopes?: readonly string[] | null;
  skipConsent?: boolean | null;
  accessTokenLifetime?: number | null;
  refreshTokenLifetime?: number | null;
  /**
   * Only false here, to make a confidential client public (its secrets go); true on a public client is refused:
   * makeConfidential gives it its secret.
   */
  confidential?: boolean | null;
}

/** The grant types (token gty) issued through each grant, revoked when the grant is removed. */
const GRANT_TYPES_OF: Record<AuthClientGrant, string[]> = {
  [AuthClientGrant.AUTHORIZATION_CODE]: ['authorization_code'],
  [AuthClientGrant.PASSWORD]: ['password'],
  [AuthClientGrant.PERSONAL_ACCESS]: ['personal_access'],
  [AuthClientGrant.CLIENT_CREDENTIALS]: ['client_credentials'],
};

/** What an update may change: what the audit log compares, and what the CLI prints. */
export const settingsOf = (authClient: AuthClientRecord) => ({
  name: authClient.name,
  grants: authClient.grants,
  redirectUris: authClient.redirectUris,
  scopes: authClient.scopes,
  skipConsent: authClient.skipConsent,
  accessTokenLifetime: authClient.accessTokenLifetime,
  refreshTokenLifetime: authClient.refreshTokenLifetime,
  confidential: authClient.confidential,
});

/** What the service keeps the Admin Console client to (admin-console.ts): refused to anyone else. */
const BUILT_IN_SETTINGS = ['name', 'grants', 'redirectUris', 'scopes', 'skipConsent', 'confidential'] as const;

function builtInRefusal(field: string, what: string): ValidationFailed {
  return ValidationFailed.of(field, `The Admin Console client is kept by the service, which the console and GraphiQL sign in through: ${what}`);
}

export const authClientNotFound = (id: string) => new NotFound(`There is no auth client with the id "${id}"`);


function nameTaken(name: string): ValidationFailed {
  return ValidationFailed.of('name', `An auth client named "${name}" already exists`);
}

// A cursor is the sort key of the last row seen: the lower-cased name (unique), then the id, kept for older cursors.
const cursorOf = (authClient: AuthClientRecord) => encodeCursor([authClient.name.toLowerCase(), authClient.id]);

export class AuthClientService {
  // Counting every match of a search reads all of them; repeated pages and polls of one list ask the same question.
  readonly #counts: ChangeCache<number>;
  // The pages themselves, for the same reason: forgotten on any change to any client, lastUsedAt included.
  readonly #pages: ChangeCache<Page<AuthClientRecord>>;
  // Uses of clients (a token issued, an introspection) and of their secrets, written to the minute.
  readonly #clientUses: LastUsed;
  readonly #secretUses: LastUsed;

  constructor(
    private readonly secrets: Secrets,
    private readonly sql: Sql,
    private readonly changes: ChangeFeed,
    private readonly logger?: Logger,
  ) {
    this.#clientUses = new LastUsed(sql, 'auth_clients');
    this.#secretUses = new LastUsed(sql, 'auth_client_secrets');
    // Keyed by [pattern, enabled]; any change to the table forgets every count.
    this.#counts = new ChangeCache(changes, 'auth_clients', async (key) => {
      const [pattern, enabled] = JSON.parse(key) as [string, boolean | null];
      const filters = new SqlConditions();
      if (pattern !== '') filters.add(`lower(name) like ${filters.param(pattern)}`);
      if (enabled !== null) filters.add(`enabled = ${filters.param(enabled)}`);
      const row = await this.sql.one<{ count: string }>(`select count(*) from auth_clients ${filters.where}`, filters.values);
      return Number(row?.count ?? 0);
    }, { byRow: false, maxEntries: 1000 });
    // Up to 100 rows each: a few hundred pages are a few MiB at most.
    this.#pages = new ChangeCache(changes, ['auth_clients', 'auth_clients_used'], (key) => this.#readPage(JSON.parse(key) as PageKey), {
      byRow: false, maxEntries: 200,
    });
  }

  /**
   * Creates a client with a new secret, and its `auth_client.created` audit event in the same transaction. The audit
   * source defaults to `createdBy` as the acting user, or the CLI.
   */
  async create(draft: AuthClientDraft, createdBy?: { id: string }, source?: AuditSource): Promise<CreatedAuthClient> {
    const problems = validateAuthClient(draft);
    if (problems.length > 0) throw new ValidationFailed(problems as [Problem, ...Problem[]]);
    const {
      name, grants, redirectUris, scopes, skipConsent, accessTokenLifetime, refreshTokenLifetime, confidential,
    } = normalizeAuthClient(draft);

    // A public client gets no secret at all: nothing to show, nothing stored.
    const clientSecret = confidential ? newClientSecret() : null;
    const auditSource = source ?? (createdBy ? { actor: { type: 'user' as const, id: createdBy.id } } : CLI_SOURCE);
    // Its audit event is written by the same statement, only when a row was inserted.
    const audit = auditInsertSelect({
      ...auditSource,
      action: 'auth_client.created',
      target: { type: 'auth_client' },
      changes: diffChanges(null, {
        name, grants, redirectUris, scopes, skipConsent, accessTokenLifetime, refreshTokenLifetime, confidential,
      }),
    }, 'client', 12);
    // The id is made here, so that the notifications the statement raises can be awaited instead of the change feed's
    // sync marker (app.ts): the client row's insert, and its secret's (migrations: auth_clients_changed,
    // auth_client_secrets_changed). test/db/change-feed.test.ts checks that these are all a creation raises.
    const id = randomUUID();
    const expected = this.changes.expect('auth_clients', confidential ? [`+${id}`, id] : [`+${id}`]);
    // One statement, so one round trip and one transaction: the unique index on lower(name) settles concurrent
    // creates, and a taken name inserts neither the client, nor its secret, nor an event.
    let row: AuthClientWithSecrets | undefined;
    try {
      row = await this.sql.one<AuthClientWithSecrets>(
        `with client as (
         insert into auth_clients (id, name, grants, redirect_uris, scopes, created_by_id, skip_consent, access_token_lifetime, refresh_token_lifetime, confidential)
         values ($19, $1, $2, $3, $4, $7, $8, $9, $10, $11)
         on conflict ((lower(name))) do nothing
         returning ${CLIENT_COLUMNS}
       ), secret as (
         insert into auth_client_secrets (id, client_id, secret_hash, prefix)
         select gen_random_uuid(), id, $5, $6 from client where client.confidential
         returning *
       ), audited as (${audit.text})
       select client.*, (select coalesce(json_agg(${secretJson('secret')}), '[]') from secret) as "secrets" from client`,
        [
          name, grants, redirectUris, scopes, clientSecret && this.secrets.hash('client-secret', clientSecret), clientSecret?.slice(0, DISPLAYED_SECRET_CHARS) ?? null,
          createdBy?.id ?? null, skipConsent, accessTokenLifetime, refreshTokenLifetime, confidential, ...audit.values, id,
        ],
        { prepare: true },
      );
    } finally {
      if (!row) expected.cancel();
    }
    if (!row) throw nameTaken(name);
    return { authClient: row, clientSecret, heard: expected.heard };
  }

  /** The client with this id, or null, also for an id that is not a UUID at all. */
  async findById(id: string): Promise<AuthClientWithSecrets | null> {
    if (!isUuid(id)) return null;
    return (await this.sql.one<AuthClientWithSecrets>(`select ${COLUMNS} from auth_clients where id = $1`, [id], { prepare: true })) ?? null;
  }

  /**
   * Applies `changes`, validated on the merged result as on create, and revokes the tokens that the removed grants
   * issued and those carrying a removed scope. Leaving AUTHORIZATION_CODE out of `grants` without giving redirectUris
   * drops the redirect URLs with it.
   *
   * `confidential: false` makes the client public: its secrets end at once, and so does what the code flow issued to
   * it (codes, refresh tokens and the access tokens of their grants), since a refresh token would otherwise be
   * redeemable with the client_id alone. Its users' personal access tokens stay.
   */
  async update(id: string, changes: AuthClientChanges, source: AuditSource = CLI_SOURCE): Promise<AuthClientRecord> {
    return this.#locked(id, async (tx, current) => {
      const grants = changes.grants ?? current.grants;
      const draft = {
        name: changes.name ?? current.name,
        grants,
        redirectUris: changes.redirectUris ?? (grants.includes(AuthClientGrant.AUTHORIZATION_CODE) ? current.redirectUris : []),
        scopes: changes.scopes ?? current.scopes,
        skipConsent: changes.skipConsent ?? current.skipConsent,
        accessTokenLifetime: changes.accessTokenLifetime ?? current.accessTokenLifetime,
        refreshTokenLifetime: changes.refreshTokenLifetime ?? current.refreshTokenLifetime,
        confidential: changes.confidential ?? current.confidential,
      };
      if (draft.confidential && !current.confidential) {
        throw ValidationFailed.of('confidential', 'A public client becomes confidential with makeAuthClientConfidential, which shows its new secret once');
      }
      const problems = validateAuthClient(draft);
      if (problems.length > 0) throw new ValidationFailed(problems as [Problem, ...Problem[]]);
      const next = normalizeAuthClient(draft);
      if (current.builtIn) {
        const changed = BUILT_IN_SETTINGS.find((field) => JSON.stringify(next[field]) !== JSON.stringify(current[field]));
        if (changed) throw builtInRefusal(changed, `its ${changed} cannot be changed (its token lifetimes can)`);
      }
      const becomesPublic = current.confidential && !next.confidential;
      // Before the update, whose answer lists the secrets that work.
      if (becomesPublic) await tx.run('delete from auth_client_secrets where client_id = $1', [id]);
      let row: AuthClientRecord | undefined;
      try {
        row = await tx.one<AuthClientRecord>(
          `update auth_clients set name = $2, grants = $3, redirect_uris = $4, scopes = $5, skip_consent = $6,
             access_token_lifetime = $7, refresh_token_lifetime = $8, confidential = $9, updated_at = now()
           where id = $1 returning ${COLUMNS}`,
          [id, next.name, next.grants, next.redirectUris, next.scopes, next.skipConsent, next.accessTokenLifetime, next.refreshTokenLifetime, next.confidential],
        );
      } catch (error) {
        if (isUniqueViolation(error, 'auth_clients_name_lower_unique')) throw nameTaken(next.name);
        throw error;
      }
      const removedGrantTypes = current.grants.filter((grant) => !next.grants.includes(grant)).flatMap((grant) => GRANT_TYPES_OF[grant] ?? []);
      if (becomesPublic) removedGrantTypes.push(...GRANT_TYPES_OF[AuthClientGrant.AUTHORIZATION_CODE]);
      const removedScopes = current.scopes.filter((scope) => !next.scopes.includes(scope));
      if (removedGrantTypes.length > 0 || removedScopes.length > 0) {
        await revokeClientTokens(tx, this.secrets, id, { grantTypes: removedGrantTypes, scopes: removedScopes });
      }
      await this.#audit(tx, source, 'auth_client.updated', id, diffChanges(settingsOf(current), settingsOf(row!)));
      return row!;
    });
  }

  /** Disables or enables the client. Its tokens are kept: refused while it is disabled, good again once enabled. */
  async setEnabled(id: string, enabled: boolean, source: AuditSource = CLI_SOURCE): Promise<AuthClientRecord> {
    return this.#locked(id, async (tx, current) => {
      if (current.builtIn && !enabled) throw builtInRefusal('id', 'it cannot be disabled (revoke its tokens instead)');
      const row = (await tx.one<AuthClientRecord>(
        `update auth_clients set enabled = $2, updated_at = case when enabled = $2 then updated_at else now() end where id = $1 returning ${COLUMNS}`,
        [id, enabled],
      ))!;
      await this.#audit(tx, source, enabled ? 'auth_client.enabled' : 'auth_client.disabled', id, diffChanges({ enabled: current.enabled }, { enabled }));
      return row;
    });
  }

  /** The kill switch: revokes everything the client holds and keeps the client; returns how many tokens ended. */
  async revokeTokens(id: string, source: AuditSource = CLI_SOURCE): Promise<{ authClient: AuthClientRecord; revokedCount: number }> {
    return this.#locked(id, async (tx, authClient) => {
      const revokedCount = await revokeClientTokens(tx, this.secrets, id);
      await this.#audit(tx, source, 'auth_client.tokens_revoked', id, { revokedCount: { before: null, after: revokedCount } });
      return { authClient, revokedCount };
    });
  }

  /** Deletes the client and everything it issued, for good; its name is free again. */
  async delete(id: string, source: AuditSource = CLI_SOURCE): Promise<void> {
    await this.#locked(id, async (tx, current) => {
      if (current.builtIn) throw builtInRefusal('id', 'it cannot be deleted (revoke its tokens instead)');
      await revokeClientTokens(tx, this.secrets, id);
      await this.#audit(tx, source, 'auth_client.deleted', id, Object.fromEntries(Object.entries(settingsOf(current)).map(([field, value]) => [field, { before: value, after: null }])));
      // Consents and personal access token records go with the client (on delete cascade).
      await tx.run('delete from auth_clients where id = $1', [id]);
    });
  }

  /** Records a change to the client in the audit log, in the change's own transaction. */
  #audit(tx: SqlTransaction, source: AuditSource, action: AuditAction, id: string, changes: AuditChanges): Promise<void> {
    return recordAuditEvent(tx, {
      ...source, action, target: { type: 'auth_client', id }, changes,
    });
  }

  /** Runs `work` in a transaction holding the client's row, or throws NotFound (also for an id that is not a UUID). */
  async #locked<T>(id: string, work: (tx: SqlTransaction, current: AuthClientRecord) => Promise<T>): Promise<T> {
    if (!isUuid(id)) throw authClientNotFound(id);
    return this.sql.transaction(async (tx) => {
      const current = await tx.one<AuthClientRecord>(`select ${COLUMNS} from auth_clients where id = $1 for update`, [id]);
      if (!current) throw authClientNotFound(id);
      return work(tx, current);
    });
  }

  /** The working secrets of each of these clients (see AuthClientRecord.secrets), in one query. */
  async secretsOf(ids: readonly string[]): Promise<Map<string, AuthClientSecretSummary[]>> {
    const rows = await this.sql.rows<{ id: string; secrets: AuthClientSecretSummary[] }>(
      `select id, ${secretsOfClient('ids.id')} as secrets from unnest($1::uuid[]) as ids(id)`,
      [ids.filter(isUuid)],
      { prepare: true },
    );
    return new Map(rows.map((row) => [row.id, row.secrets]));
  }

  /** Records a use of the client (a token issued to it, an introspection by it), writing at most once a minute. */
  touch(id: string, now = new Date()): Promise<void> {
    return this.#clientUses.record(id, now);
  }

  /** Who created these clients, with their permissions, even if deactivated; absent when the CLI did or they are gone. */
  async findCreators(createdByIds: readonly string[]): Promise<Map<string, ViewerRecord>> {
    if (createdByIds.length === 0) return new Map();
    const rows = await this.sql.rows<ViewerRecord>(
      `select ${VIEWER_COLUMNS} from users u where u.id = any($1::uuid[])`,
      [[...new Set(createdByIds)]],
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** The names of the permissions granted to the client, which it holds acting as itself (client credentials). */
  async permissionsOf(id: string): Promise<string[]> {
    if (!isUuid(id)) return [];
    const rows = await this.sql.rows<{ name: string }>(
      'select permission_name as name from client_permissions where client_id = $1 order by permission_name',
      [id],
      { prepare: true },
    );
    return rows.map((row) => row.name);
  }

  /** Grants the client a permission of the catalogue (the caller checked the name); granting it twice changes nothing. */
  async grantPermission(id: string, permissionName: string, source: AuditSource = CLI_SOURCE): Promise<AuthClientRecord> {
    const authClient = await this.findById(id);
    if (!authClient) throw authClientNotFound(id);
    await this.sql.transaction(async (tx) => {
      // A client deleted meanwhile inserts nothing: the select finds no row. A grant it already held records nothing.
      const granted = await tx.run(
        `insert into client_permissions (client_id, permission_name) select id, $2 from auth_clients where id = $1
         on conflict do nothing`,
        [id, permissionName],
      );
      if (granted.rowCount > 0) {
        await this.#audit(tx, source, 'permission.granted', id, { permissions: { before: null, after: permissionName } });
      }
    });
    return authClient;
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
  async rotateSecret(id: string, previousSecretExpiresIn: number = DEFAULT_PREVIOUS_SECRET_EXPIRES_IN, source: AuditSource = CLI_SOURCE): Promise<AuthClientWithNewSecret> {
    if (!Number.isInteger(previousSecretExpiresIn) || previousSecretExpiresIn < 0 || previousSecretExpiresIn > MAX_PREVIOUS_SECRET_EXPIRES_IN) {
      throw ValidationFailed.of(
        'previousSecretExpiresIn',
        `previousSecretExpiresIn is a number of seconds from 0 (the previous secret stops now) to ${MAX_PREVIOUS_SECRET_EXPIRES_IN} (30 days)`,
      );
    }
    if (!isUuid(id)) throw authClientNotFound(id);
    const clientSecret = newClientSecret();
    const prefix = clientSecret.slice(0, DISPLAYED_SECRET_CHARS);
    // One statement (see the client_secrets migration): atomic, and serialised per client by its row lock, which the
    // transaction holds until its audit event is written with it.
    await this.sql.transaction(async (tx) => {
      // Taken first, so a client made public meanwhile is seen as public here, and never given a secret.
      const client = await tx.one<{ confidential: boolean }>('select confidential from auth_clients where id = $1 for update', [id]);
      if (!client) throw authClientNotFound(id);
      if (!client.confidential) {
        throw ValidationFailed.of('id', 'This is a public client: it has no secret to rotate. makeAuthClientConfidential gives it one');
      }
      const rotated = await tx.one<{ secretId: string | null }>(
        'select rotate_auth_client_secret($1, $2, $3, $4) as "secretId"',
        [id, this.secrets.hash('client-secret', clientSecret), prefix, previousSecretExpiresIn],
      );
      if (!rotated?.secretId) throw authClientNotFound(id);
      await this.#audit(tx, source, 'auth_client.secret_rotated', id, {
        secretId: { before: null, after: rotated.secretId },
        secretPrefix: { before: null, after: prefix },
        previousSecretExpiresIn: { before: null, after: previousSecretExpiresIn },
      });
    });
    const authClient = await this.findById(id);
    if (!authClient) throw authClientNotFound(id);
    return { authClient, clientSecret };
  }

  /**
   * Makes a public client confidential, with a new secret shown only in the answer. Its tokens stay; refreshing them
   * needs the secret from now on.
   */
  async makeConfidential(id: string, source: AuditSource = CLI_SOURCE): Promise<AuthClientWithNewSecret> {
    const clientSecret = newClientSecret();
    const prefix = clientSecret.slice(0, DISPLAYED_SECRET_CHARS);
    await this.#locked(id, async (tx, current) => {
      if (current.builtIn) throw builtInRefusal('id', 'it stays a public client');
      if (current.confidential) throw ValidationFailed.of('id', 'This client is already confidential; rotateAuthClientSecret gives it a new secret');
      await tx.run('update auth_clients set confidential = true, updated_at = now() where id = $1', [id]);
      const secret = await tx.one<{ id: string }>(
        'insert into auth_client_secrets (id, client_id, secret_hash, prefix) values (gen_random_uuid(), $1, $2, $3) returning id',
        [id, this.secrets.hash('client-secret', clientSecret), prefix],
      );
      await this.#audit(tx, source, 'auth_client.updated', id, {
        confidential: { before: false, after: true },
        secretId: { before: null, after: secret!.id },
        secretPrefix: { before: null, after: prefix },
      });
    });
    const authClient = await this.findById(id);
    if (!authClient) throw authClientNotFound(id);
    return { authClient, clientSecret };
  }

  /**
   * Ends one working secret at once. Never the last one: a client always keeps a secret. Ending the current secret
   * while the previous one still overlaps makes that previous one current again, with no expiry, so the client is
   * never left to lose its last secret when the overlap ends. A secret of another client, or one already ended, is not found.
   */
  async revokeSecret(id: string, secretId: string, source: AuditSource = CLI_SOURCE): Promise<AuthClientRecord> {
    if (!isUuid(id)) throw authClientNotFound(id);
    const secretNotFound = () => new NotFound('This auth client has no working secret with this id');
    if (!isUuid(secretId)) throw secretNotFound();
    // A refusal throws inside the transaction, which rolls back: no event for a change that did not happen.
    await this.sql.transaction(async (tx) => {
      const outcome = (await tx.one<{ outcome: string }>('select revoke_auth_client_secret($1, $2) as outcome', [id, secretId]))?.outcome;
      if (outcome === 'client_not_found') throw authClientNotFound(id);
      if (outcome === 'secret_not_found') throw secretNotFound();
      if (outcome === 'last_secret') {
        throw ValidationFailed.of('secretId', 'This is the only working secret of the auth client; rotate it instead, or rotate first and then revoke the old one');
      }
      await this.#audit(tx, source, 'auth_client.secret_revoked', id, { secretId: { before: secretId, after: null } });
    });
    const authClient = await this.findById(id);
    if (!authClient) throw authClientNotFound(id);
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
    // Not awaited: a token request never waits for it.
    const secretId = working[match]![0];
    this.#secretUses.record(secretId, new Date(now)).catch((error: unknown) => {
      this.logger?.error('Could not record the use of a client secret', { secretId, ...describeError(error) });
    });
    return true;
  }

  /**
   * One page of clients sorted by name (any case), optionally filtered by a case-insensitive substring of the name.
   * Both walk an index: the unique one on lower(name) for the order, the trigram one for the search.
   */
  list({
    first, after, search, enabled, unusedSince,
  }: PageRequest): Promise<Page<AuthClientRecord>> {
    const pattern = searchPattern(search);
    // Names are unique ignoring case, so the name alone places the cursor.
    const [afterName] = after ? decodeCursor(after, 2, ([, id]) => isUuid(id!)) : [null];
    const key: PageKey = [first, afterName ?? null, pattern, enabled ?? null, unusedSince?.toISOString() ?? null];
    return this.#pages.get(JSON.stringify(key)) as Promise<Page<AuthClientRecord>>;
  }

  #readPage([first, afterName, pattern, enabled, unusedSince]: PageKey): Promise<Page<AuthClientRecord>> {
    // A kept page is answered many times: each row's cursor is encoded once.
    const cursors = new Map<AuthClientRecord, string>();
    const cursorOfRow = (row: AuthClientRecord) => {
      let cursor = cursors.get(row);
      if (cursor === undefined) {
        cursor = cursorOf(row);
        cursors.set(row, cursor);
      }
      return cursor;
    };
    const filters = new SqlConditions();
    if (pattern) filters.add(`lower(name) like ${filters.param(pattern)}`);
    if (enabled !== null) filters.add(`enabled = ${filters.param(enabled)}`);
    if (unusedSince) filters.add(`(last_used_at is null or last_used_at < ${filters.param(new Date(unusedSince))})`);
    return keysetPage<AuthClientRecord>(this.sql, {
      columns: CLIENT_COLUMNS,
      from: 'auth_clients',
      sortKey: 'lower(name)',
      filters,
      afterKey: afterName,
      first,
      cursorOf: cursorOfRow,
      // A search's best plan depends on the term; the plain list always walks the name index.
      prepare: !pattern,
      // last_used_at changes announce nothing to the counts (they would be forgotten once a minute per client): counts
      // with unusedSince are never cached.
      count: unusedSince ? undefined : async () => (await this.#counts.get(JSON.stringify([pattern ?? '', enabled])))!,
    });
  }
}
