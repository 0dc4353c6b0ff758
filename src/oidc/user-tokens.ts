// Ending what a user holds at the provider: browser sessions, grants, codes, access and refresh tokens, and personal
// access tokens; all of it (deactivating, deleting), or only the other sessions and the refresh tokens (a password
// change). Rows carry their user in oidc_payloads.account_id; unexpired rows written before that column existed are
// opened to find it, as client-tokens.ts does for clients.
import type { SqlTransaction } from '../db/sql.js';
import type { Secrets } from '../shared/secrets.js';
import { openStoredPayload, revokingGrant, storedIdOf } from './adapter.js';

/** Everything issued to or for a user, and the browser sessions they are signed in with. */
const EVERYTHING = ['Session', 'Grant', 'AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest'];
const GRANT = 'Grant';

export interface UserTokenSelection {
  /** Only these models (e.g. Session and RefreshToken for a password change); everything by default. */
  models?: readonly string[];
  /** Keep the browser session with this uid (the one the request came from). */
  keepSessionUid?: string | null;
}

interface Row {
  model: string;
  id: string;
  payload: string;
  accountId: string | null;
  grantId: string | null;
  uid: string | null;
}

/** Ends, inside `tx`, what `userId` holds at the provider; returns how many rows ended. */
export async function revokeUserTokens(tx: SqlTransaction, secrets: Secrets, userId: string, selection: UserTokenSelection = {}): Promise<number> {
  const models = selection.models ?? EVERYTHING;
  const keptUid = selection.keepSessionUid ? storedIdOf(secrets, selection.keepSessionUid) : null;
  const rows = await tx.rows<Row>(
    `select model, id, payload, account_id as "accountId", grant_id as "grantId", uid from oidc_payloads
     where (account_id = $1 or (account_id is null and (expires_at is null or expires_at > now()))) and model = any($2)`,
    [userId, models],
  );
  const doomed: Row[] = [];
  const grantIds = new Set<string>();
  const everything = !selection.models;
  for (const row of rows) {
    if (row.accountId === null && openStoredPayload(secrets, row.model, row.id, row.payload)?.accountId !== userId) continue;
    if (row.model === 'Session' && keptUid !== null && row.uid === keptUid) continue;
    doomed.push(row);
    // Everything ends: so do the grants, and with them every token issued under them (as a reused code does).
    if (everything && row.grantId) grantIds.add(row.grantId);
  }
  if (doomed.length === 0) return 0;
  // Deleting a grant's rows takes its lock first, in a fixed order, as client-tokens.ts and the adapter do.
  if (grantIds.size > 0) {
    await tx.run(`select ${revokingGrant('grant_id')} from unnest($1::text[]) as grants(grant_id) order by grant_id`, [[...grantIds].sort()]);
  }
  const deleted = await tx.run(
    `delete from oidc_payloads where (model || ':' || id) = any($1) or grant_id = any($2) or (model = '${GRANT}' and id = any($3))`,
    [doomed.map((row) => `${row.model}:${row.id}`), [...grantIds], [...grantIds].map((grantId) => storedIdOf(secrets, grantId))],
  );
  return deleted.rowCount;
}

/** Revokes every personal access token of the user, inside `tx` (their access tokens go with revokeUserTokens). */
export async function revokeUserPersonalAccessTokens(tx: SqlTransaction, userId: string): Promise<void> {
  await tx.run('update personal_access_tokens set revoked_at = now() where user_id = $1 and revoked_at is null', [userId]);
}
