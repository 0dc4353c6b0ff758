// oidc-provider's storage, in plain SQL. Every id is stored as a keyed hash and every payload sealed with APP_KEY,
// so a copy of the table holds no usable token, code or session. Clients come from the auth_clients table. Access
// tokens once read are kept in memory, unsealed, until a change to their row or their grant is announced.
import { errors, type Adapter, type AdapterPayload, type ClientMetadata } from 'oidc-provider';
import { ChangeCache } from '../db/change-cache.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Sql } from '../db/sql.js';
import type { Secrets } from '../shared/secrets.js';

const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * The key an id (for tokens: their value) is stored under. Personal access tokens record it to find their row. One
 * request asks for the same token's key several times (as each kind of token, then in the token check): remembered
 * until the event loop turns.
 */
export function storedIdOf(secrets: Secrets, id: string): string {
  return secrets.hashThisTurn('oidc-id', id);
}

/** Where the adapter reads clients from (see client-store.ts). */
export interface ClientSource {
  find(id: string): Promise<ClientMetadata | undefined>;
}

interface PayloadRow {
  model: string;
  id: string;
  payload: string;
  expiresAt: Date | null;
  consumedAt: Date | null;
}

/** A row with its payload unsealed: the JSON text, or null if it could not be (tampered with, another APP_KEY). */
interface OpenedRow extends Omit<PayloadRow, 'payload'> {
  json: string | null;
}

/** A token row with its grant's row beside it, when it has one. */
interface TokenRow extends PayloadRow {
  grant: PayloadRow | null;
}

interface OpenedTokenRow extends OpenedRow {
  grant: OpenedRow | null;
}

const ROW = 'model, id, payload, expires_at as "expiresAt", consumed_at as "consumedAt"';
const GRANT = 'Grant';
/** The DPoP proof ids (jti) seen, at the token endpoint and at /graphql; see upsert. */
const REPLAY_DETECTION = 'ReplayDetection';

/**
 * oidc-provider looks an opaque token up as each of these kinds at once (introspection, revocation). Their ids are
 * the token value, so one query answers all of them: the lookups made together share it. The same query reads the
 * token's Grant, which oidc-provider asks for next (introspection, userinfo, refresh).
 */
const TOKEN_MODELS = ['AccessToken', 'RefreshToken', 'ClientCredentials'];

/**
 * The token kinds whose rows announce every change on the access_tokens channel, and so may be kept in memory (with
 * their grant, announced on the grants channel): introspection then costs no query and no decryption. A refresh
 * token is consumed without an announcement, and is always read from the database.
 */
const ANNOUNCED_MODELS = new Set(['AccessToken', 'ClientCredentials']);

/**
 * What a client trades for tokens, good for one use, and what the client is told when it comes back a second time.
 * oidc-provider reads one of these, sees it unused, and only then consumes it: two requests at once both get that far.
 */
const SINGLE_USE: Record<string, string> = {
  AuthorizationCode: 'authorization code already consumed',
  RefreshToken: 'refresh token already used',
};

/**
 * Statements that delete a grant's rows take this transaction lock (with a hash of the grant id) before they lock any
 * row, so two never delete one grant's rows at once: unserialised, concurrent reuses of one token deadlocked now and
 * then (each statement locks rows in the order its own plan and snapshot meet them), a 500 after a one-second wait.
 */
const GRANT_LOCK = 0x6f696463;
export const revokingGrant = (grantIdSql: string) => `pg_advisory_xact_lock(${GRANT_LOCK}, hashtext(${grantIdSql}))`;

/**
 * A second use of a single-use row revokes its grant (RFC 9700 §4.14.2, as Hydra does): every row issued under it
 * (grant_id is indexed and set on each of them) and the Grant itself, so even tokens that the first use writes after
 * this statement find no grant, and introspection, userinfo and refresh refuse them.
 */
const REVOKE_REUSED = `with reused as materialized (
    select grant_id, grant_key, ${revokingGrant('grant_id')} from oidc_payloads where model = $1 and id = $2 and grant_id is not null
  )
  delete from oidc_payloads p using reused where p.grant_id = reused.grant_id or (p.model = '${GRANT}' and p.id = reused.grant_key)`;

export function createAdapterClass(sql: Sql, secrets: Secrets, clients: ClientSource, changes: ChangeFeed) {
  const hashId = (value: string) => storedIdOf(secrets, value);
  const tokenLookups = new Map<string, Promise<OpenedTokenRow[] | undefined>>();
  // Grants read together with a token, keyed by their stored id, for the Grant lookup that follows in the same request.
  // Each is taken once, and dropped if not taken before the event loop turns (it was read with its token, so it is as
  // fresh as the token itself).
  const readWithToken = new Map<string, OpenedRow>();

  function unseal(row: PayloadRow): OpenedRow {
    return {
      model: row.model, id: row.id, json: unsealedJson(secrets, row.model, row.id, row.payload), expiresAt: row.expiresAt, consumedAt: row.consumedAt,
    };
  }

  /** The rows stored under a token's key, of every kind, unsealed with their grants; undefined for none. */
  function readTokenRows(key: string): Promise<OpenedTokenRow[] | undefined> {
    let lookup = tokenLookups.get(key);
    if (!lookup) {
      lookup = sql.rows<TokenRow>(
        `select t.model, t.id, t.payload, t.expires_at as "expiresAt", t.consumed_at as "consumedAt",
           case when g.id is null then null else json_build_object('model', g.model, 'id', g.id, 'payload', g.payload,
             'expiresAt', g.expires_at, 'consumedAt', g.consumed_at) end as grant
         from oidc_payloads t left join oidc_payloads g on g.model = '${GRANT}' and g.id = t.grant_key
         where t.id = $1 and t.model = any($2)`,
        [key, TOKEN_MODELS],
        { prepare: true },
      ).then((rows) => (rows.length === 0 ? undefined : rows.map(({ grant, ...row }) => ({
        ...unseal(row),
        // json_build_object turns times into text.
        grant: grant && unseal({ ...grant, expiresAt: grant.expiresAt && new Date(grant.expiresAt), consumedAt: grant.consumedAt && new Date(grant.consumedAt) }),
      })))).finally(() => tokenLookups.delete(key));
      tokenLookups.set(key, lookup);
    }
    return lookup;
  }

  // Access and client-credentials tokens as last read, until a change to their row or their grant is announced.
  const knownTokens = new ChangeCache<OpenedTokenRow[]>(changes, 'access_tokens', readTokenRows, {
    byRow: true,
    keep: (rows) => rows.every((row) => ANNOUNCED_MODELS.has(row.model)),
    restsOn: { grants: (rows, id) => rows.some((row) => row.grant?.id === id) },
  });

  function keepGrant(row: OpenedTokenRow): void {
    if (!row.grant) return;
    const { grant } = row;
    readWithToken.set(grant.id, grant);
    setImmediate(() => { if (readWithToken.get(grant.id) === grant) readWithToken.delete(grant.id); });
  }

  function takeGrant(key: string): OpenedRow | undefined {
    const grant = readWithToken.get(key);
    if (grant) readWithToken.delete(key);
    return grant;
  }

  return class SqlAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private seal(key: string, payload: object): string {
      return secrets.encrypt('oidc-payload', JSON.stringify(payload), `${this.model}:${key}`);
    }

    private open(row: PayloadRow | undefined): AdapterPayload | undefined {
      return row ? this.payloadOf(unseal(row)) : undefined;
    }

    // A new object each time: oidc-provider may change what it is given, and a kept row must stay as it was read.
    private payloadOf(row: OpenedRow | undefined): AdapterPayload | undefined {
      if (!row?.json || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return undefined;
      const payload = JSON.parse(row.json) as AdapterPayload;
      if (row.consumedAt) payload.consumed = epoch(row.consumedAt);
      return payload;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      if (this.model === 'Client') throw new Error('Clients are managed through the GraphQL API');
      const key = hashId(id);
      // The jti is the id itself (for tokens, their value): keep only its hash, and put it back on find.
      const { jti: _jti, ...stored } = payload;
      if (this.model === REPLAY_DETECTION) {
        // ReplayDetection.unique() looks the proof id up and saves it if absent: two instances given the same proof at
        // once could both find nothing. The insert decides alone, and a proof id already there is a replay.
        const inserted = await sql.run(
          `insert into oidc_payloads (model, id, payload, expires_at) values ($1, $2, $3, $4)
           on conflict (model, id) do nothing`,
          [this.model, key, this.seal(key, stored), new Date(Date.now() + (expiresIn ?? 0) * 1000)],
          { prepare: true },
        );
        if (inserted.rowCount === 0) throw new errors.InvalidDpopProof('DPoP proof JWT Replay detected');
        return;
      }
      await sql.run(
        `insert into oidc_payloads (model, id, payload, grant_id, grant_key, uid, user_code, expires_at, consumed_at, client_id, account_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, null, $9, $10)
         on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
           grant_key = excluded.grant_key, uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at,
           consumed_at = null, client_id = excluded.client_id, account_id = excluded.account_id`,
        [
          this.model, key, this.seal(key, stored), payload.grantId ?? null,
          payload.grantId && this.model !== GRANT ? hashId(payload.grantId) : null,
          payload.uid ? hashId(payload.uid) : null,
          payload.userCode ? hashId(payload.userCode) : null,
          expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
          // Plain, so everything a client holds can be revoked at once (client-tokens.ts).
          typeof payload.clientId === 'string' ? payload.clientId : null,
          // Plain, so everything a user holds (sessions included) can be ended at once (user-tokens.ts).
          typeof payload.accountId === 'string' ? payload.accountId : null,
        ],
        { prepare: true },
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') return clients.find(id);
      const key = hashId(id);
      let payload: AdapterPayload | undefined;
      if (TOKEN_MODELS.includes(this.model)) {
        const token = (await knownTokens.get(key))?.find((candidate) => candidate.model === this.model);
        if (token) keepGrant(token);
        payload = this.payloadOf(token);
      } else {
        const grant = this.model === GRANT ? takeGrant(key) : undefined;
        payload = grant
          ? this.payloadOf(grant)
          : this.open(await sql.one<PayloadRow>(`select ${ROW} from oidc_payloads where model = $1 and id = $2`, [this.model, key], { prepare: true }));
      }
      return payload ? { ...payload, jti: id } : undefined;
    }

    // Found by a secondary key, the id is unknown and the payload comes back without its jti. oidc-provider only
    // reads what these return (a Session to check a token's binding), so that is enough.
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.open(await sql.one<PayloadRow>(`select ${ROW} from oidc_payloads where model = $1 and uid = $2 limit 1`, [this.model, hashId(uid)]));
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.open(await sql.one<PayloadRow>(`select ${ROW} from oidc_payloads where model = $1 and user_code = $2 limit 1`, [this.model, hashId(userCode)]));
    }

    // One conditional write: zero rows changed means another request used it first (read-then-write would be a race).
    async consume(id: string): Promise<void> {
      const key = hashId(id);
      const consumed = await sql.run('update oidc_payloads set consumed_at = now() where model = $1 and id = $2 and consumed_at is null', [this.model, key], { prepare: true });
      const reused = SINGLE_USE[this.model];
      if (consumed.rowCount === 1 || !reused) return;
      await sql.run(REVOKE_REUSED, [this.model, key], { prepare: true });
      // oidc-provider passes this on as the token endpoint's answer: 400 invalid_grant (RFC 6749 §5.2).
      throw new errors.InvalidGrant(reused);
    }

    async destroy(id: string): Promise<void> {
      await sql.run('delete from oidc_payloads where model = $1 and id = $2', [this.model, hashId(id)], { prepare: true });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await sql.run(`with serialized as materialized (select ${revokingGrant('$1::text')}) delete from oidc_payloads using serialized where grant_id = $1`, [grantId]);
    }
  };
}

/** The JSON text sealed in a row's payload, or null when it cannot be opened: tampered with, or sealed under another APP_KEY. */
function unsealedJson(secrets: Secrets, model: string, id: string, sealed: string): string | null {
  try {
    return secrets.decrypt('oidc-payload', sealed, `${model}:${id}`);
  } catch {
    return null;
  }
}

/** The payload of a stored row, or undefined when it cannot be opened (see unsealedJson); for client-tokens.ts. */
export function openStoredPayload(secrets: Secrets, model: string, id: string, sealed: string): AdapterPayload | undefined {
  const json = unsealedJson(secrets, model, id, sealed);
  return json === null ? undefined : JSON.parse(json) as AdapterPayload;
}

/** Deletes the access token stored under this id (the keyed hash of its value). */
export async function destroyAccessToken(sql: Sql, storedId: string): Promise<void> {
  await sql.run("delete from oidc_payloads where model = 'AccessToken' and id = $1", [storedId]);
}

/**
 * Deletes rows that expired more than a day ago (kept that long so late replays still find a consumed code), and DPoP
 * proof ids as soon as they expire: one is written per DPoP request, and an expired one guards nothing, since a proof
 * that old is refused for its iat anyway.
 */
export async function deleteExpiredPayloads(sql: Sql): Promise<number> {
  return (await sql.run(
    "delete from oidc_payloads where expires_at < now() - interval '1 day' or (model = 'ReplayDetection' and expires_at < now())",
  )).rowCount;
}
