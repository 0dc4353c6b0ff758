// What revoking a client's or a user's holdings at the provider shares (client-tokens.ts, user-tokens.ts): finding the
// rows an owner holds, and deleting rows together with every row of their grants.
import type { AdapterPayload } from 'oidc-provider';
import type { SqlTransaction } from '../db/sql.js';
import type { Secrets } from '../shared/secrets.js';
import { openStoredPayload, revokingGrant, storedIdOf } from './adapter.js';

const GRANT = 'Grant';

/** The owner columns of oidc_payloads, and the payload field each copies. */
const OWNERS = {
  client_id: 'clientId',
  account_id: 'accountId',
} as const;

export interface OwnedRow {
  model: string;
  id: string;
  payload: string;
  grantId: string | null;
  uid: string | null;
  /** The owner column was set: the row is the owner's without opening it. */
  marked: boolean;
}

/**
 * The rows of `models` that `ownerId` holds: those marked with it in `column`, and unexpired rows written before the
 * column existed whose sealed payload names it (they are opened to find out). `opened` is the payload of each row that
 * had to be opened.
 */
export async function ownedRows(
  tx: SqlTransaction,
  secrets: Secrets,
  column: keyof typeof OWNERS,
  ownerId: string,
  models: readonly string[],
): Promise<Array<OwnedRow & { opened?: AdapterPayload }>> {
  const rows = await tx.rows<OwnedRow>(
    `select model, id, payload, grant_id as "grantId", uid, ${column} is not null as marked from oidc_payloads
     where (${column} = $1 or (${column} is null and (expires_at is null or expires_at > now()))) and model = any($2)`,
    [ownerId, models],
  );
  return rows.flatMap((row) => {
    if (row.marked) return [row];
    const opened = openStoredPayload(secrets, row.model, row.id, row.payload);
    return opened?.[OWNERS[column]] === ownerId ? [{ ...row, opened }] : [];
  });
}

/**
 * Deletes these rows, and every row issued under these grants with the grants themselves (as a reused code does,
 * adapter.ts). Each grant's lock is taken first, one by one in a fixed order, as reuse detection and revocation take
 * it, so two revocations of overlapping grants wait for each other instead of deadlocking. Returns the deleted rows'
 * models.
 */
export async function deleteWithGrants(
  tx: SqlTransaction,
  secrets: Secrets,
  rows: ReadonlyArray<{ model: string; id: string }>,
  grantIds: ReadonlySet<string>,
): Promise<string[]> {
  if (rows.length === 0 && grantIds.size === 0) return [];
  const grants = [...grantIds].sort();
  if (grants.length > 0) {
    await tx.run(`select ${revokingGrant('grant_id')} from unnest($1::text[]) as grants(grant_id) order by grant_id`, [grants]);
  }
  const deleted = await tx.rows<{ model: string }>(
    `delete from oidc_payloads where (model || ':' || id) = any($1) or grant_id = any($2) or (model = '${GRANT}' and id = any($3))
     returning model`,
    [rows.map((row) => `${row.model}:${row.id}`), grants, grants.map((grantId) => storedIdOf(secrets, grantId))],
  );
  return deleted.map((row) => row.model);
}
