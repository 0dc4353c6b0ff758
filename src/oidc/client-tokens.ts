// Revoking what an auth client holds, all at once or only the tokens issued through some grants or carrying some
// scopes: access and refresh tokens, authorization codes, grants, remembered consents and personal access tokens.
// Rows carry their client in oidc_payloads.client_id; unexpired rows written before that column existed are opened to
// find it (they expire within the longest refresh token lifetime of that time, 30 days).
import type { SqlTransaction } from '../db/sql.js';
import type { Secrets } from '../shared/secrets.js';
import { openStoredPayload } from './adapter.js';
import { deleteWithGrants, ownedRows } from './payload-revocation.js';
import { PERSONAL_ACCESS_GTY } from './token-store.js';

/** What a client issues and revokedCount counts. Grants are revoked with their tokens but not counted. */
const ISSUED = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'ClientCredentials', 'DeviceCode', 'BackchannelAuthenticationRequest'];
const GRANT = 'Grant';

/** Which tokens to revoke: those issued through any of `grantTypes`, or carrying any of `scopes`. Nothing given: all. */
export interface TokenSelection {
  grantTypes?: readonly string[];
  scopes?: readonly string[];
}

const wordsOf = (value: unknown) => new Set(typeof value === 'string' ? value.split(' ').filter(Boolean) : []);

/** Revokes, inside `tx`, what `clientId` holds; returns how many tokens and codes (personal access tokens included) ended. */
export async function revokeClientTokens(tx: SqlTransaction, secrets: Secrets, clientId: string, selection?: TokenSelection): Promise<number> {
  const rows = await ownedRows(tx, secrets, 'client_id', clientId, [...ISSUED, GRANT]);
  const everything = !selection;
  const grantTypes = new Set(selection?.grantTypes ?? []);
  const scopes = new Set(selection?.scopes ?? []);
  const doomed: typeof rows = [];
  const grantIds = new Set<string>();
  for (const row of rows) {
    // Rows marked with the client need opening only to be matched against a selection.
    const payload = row.opened ?? (everything ? undefined : openStoredPayload(secrets, row.model, row.id, row.payload));
    let matches = everything;
    if (!matches && payload && row.model !== GRANT) {
      const gty = row.model === 'AuthorizationCode' ? new Set(['authorization_code'])
        : row.model === 'ClientCredentials' ? new Set(['client_credentials']) : wordsOf(payload.gty);
      matches = [...gty].some((type) => grantTypes.has(type)) || [...wordsOf(payload.scope)].some((scope) => scopes.has(scope));
    }
    if (!matches) continue;
    doomed.push(row);
    // A grant revoked takes every token issued under it.
    if (typeof payload?.grantId === 'string') grantIds.add(payload.grantId);
    else if (row.grantId) grantIds.add(row.grantId);
  }
  const deleted = await deleteWithGrants(tx, secrets, doomed, grantIds);
  // A personal access token is an access token (counted above) with a record of its own: revoke the record too.
  const personal = [...grantTypes].includes(PERSONAL_ACCESS_GTY);
  await tx.run(
    `update personal_access_tokens set revoked_at = now() where client_id = $1 and revoked_at is null and ($2 or scopes && $3)`,
    [clientId, everything || personal, [...scopes]],
  );
  if (everything) await tx.run('delete from oidc_consents where client_id = $1', [clientId]);
  return deleted.filter((model) => ISSUED.includes(model)).length;
}
