// Ending what a user holds at the provider: browser sessions, grants, codes, access and refresh tokens, and personal
// access tokens; all of it (deactivating, deleting), or only the other sessions and the refresh tokens (a password
// change). Rows carry their user in oidc_payloads.account_id; unexpired rows written before that column existed are
// opened to find it, as client-tokens.ts does for clients.
import type { SqlTransaction } from '../db/sql.js';
import type { Secrets } from '../shared/secrets.js';
import { storedIdOf } from './adapter.js';
import { deleteWithGrants, ownedRows } from './payload-revocation.js';

/** Everything issued to or for a user, and the browser sessions they are signed in with. */
const EVERYTHING = ['Session', 'Grant', 'AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest'];

export interface UserTokenSelection {
  /** Only these models (e.g. Session and RefreshToken for a password change); everything by default. */
  models?: readonly string[];
  /** Keep the browser session with this uid (the one the request came from). */
  keepSessionUid?: string | null;
}

/** Ends, inside `tx`, what `userId` holds at the provider; returns how many rows ended. */
export async function revokeUserTokens(tx: SqlTransaction, secrets: Secrets, userId: string, selection: UserTokenSelection = {}): Promise<number> {
  const models = selection.models ?? EVERYTHING;
  const keptUid = selection.keepSessionUid ? storedIdOf(secrets, selection.keepSessionUid) : null;
  const rows = await ownedRows(tx, secrets, 'account_id', userId, models);
  const doomed: typeof rows = [];
  const grantIds = new Set<string>();
  const everything = !selection.models;
  for (const row of rows) {
    if (row.model === 'Session' && keptUid !== null && row.uid === keptUid) continue;
    doomed.push(row);
    // Everything ends: so do the grants, and with them every token issued under them (as a reused code does).
    if (everything && row.grantId) grantIds.add(row.grantId);
  }
  return (await deleteWithGrants(tx, secrets, doomed, grantIds)).length;
}

/** Revokes every personal access token of the user, inside `tx` (their access tokens go with revokeUserTokens). */
export async function revokeUserPersonalAccessTokens(tx: SqlTransaction, userId: string): Promise<void> {
  await tx.run('update personal_access_tokens set revoked_at = now() where user_id = $1 and revoked_at is null', [userId]);
}
