// Revoking what an auth client holds, all at once or only the tokens issued through some grants or carrying some
// scopes: access and refresh tokens, authorization codes, grants, remembered consents and personal access tokens.
// Rows carry their client in oidc_payloads.client_id; unexpired rows written before that column existed are opened to
// find it (they expire within the longest refresh token lifetime of that time, 30 days).
import type { SqlTransaction } from '../db/sql.js';
import type { Secrets } from '../shared/secrets.js';
import { openStoredPayload, revokingGrant, storedIdOf } from './adapter.js';
import { PERSONAL_ACCESS_GTY } from './token-store.js';

/** What a client issues and revokedCount counts. Grants are revoked with their tokens but not counted. */
const ISSUED = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'ClientCredentials', 'DeviceCode', 'BackchannelAuthenticationRequest'];
const GRANT = 'Grant';

/** Which tokens to revoke: those issued through any of `grantTypes`, or carrying any of `scopes`. Nothing given: all. */
export interface TokenSelection {
  grantTypes?: readonly string[];
  scopes?: readonly string[];
}

interface Row {
  model: string;
  id: string;
  payload: string;
  clientId: string | null;
  grantId: string | null;
}

const wordsOf = (value: unknown) => new Set(typeof value === 'string' ? value.split(' ').filter(Boolean) : []);

/** Revokes, inside `tx`, what `clientId` holds; returns how many tokens and codes (personal access tokens included) ended. */
export async function revokeClientTokens(tx: SqlTransaction, secrets: Secrets, clientId: string, selection?: TokenSelection): Promise<number> {
  const rows = await tx.rows<Row>(
    `select model, id, payload, client_id as "clientId", grant_id as "grantId" from oidc_payloads
     where (client_id = $1 or (client_id is null and (expires_at is null or expires_at > now()))) and model = any($2)`,
    [clientId, [...ISSUED, GRANT]],
  );
  const everything = !selection;
  const grantTypes = new Set(selection?.grantTypes ?? []);
  const scopes = new Set(selection?.scopes ?? []);
  const doomed: Row[] = [];
  const grantIds = new Set<string>();
  for (const row of rows) {
    // Rows marked with the client need opening only to be matched against a selection.
    const payload = row.clientId === null || !everything ? openStoredPayload(secrets, row.model, row.id, row.payload) : undefined;
    if (row.clientId === null && payload?.clientId !== clientId) continue;
    let matches = everything;
    if (!matches && payload && row.model !== GRANT) {
      const gty = row.model === 'AuthorizationCode' ? new Set(['authorization_code'])
        : row.model === 'ClientCredentials' ? new Set(['client_credentials']) : wordsOf(payload.gty);
      matches = [...gty].some((type) => grantTypes.has(type)) || [...wordsOf(payload.scope)].some((scope) => scopes.has(scope));
    }
    if (!matches) continue;
    doomed.push(row);
    // A grant revoked takes every token issued under it (as a reused code does, adapter.ts).
    if (typeof payload?.grantId === 'string') grantIds.add(payload.grantId);
    else if (row.grantId) grantIds.add(row.grantId);
  }
  const ids = doomed.map((row) => `${row.model}:${row.id}`);
  // Deleting a grant's rows takes its lock first, as reuse detection and revocation do (adapter.ts); taken one by one
  // in a fixed order, so two revocations of overlapping grants wait for each other instead of deadlocking.
  if (grantIds.size > 0) {
    await tx.run(`select ${revokingGrant('grant_id')} from unnest($1::text[]) as grants(grant_id) order by grant_id`, [[...grantIds].sort()]);
  }
  const deleted = await tx.rows<{ model: string }>(
    `delete from oidc_payloads where (model || ':' || id) = any($1) or grant_id = any($2) or (model = '${GRANT}' and id = any($3))
     returning model`,
    [ids, [...grantIds], [...grantIds].map((grantId) => storedIdOf(secrets, grantId))],
  );
  // A personal access token is an access token (counted above) with a record of its own: revoke the record too.
  const personal = [...grantTypes].includes(PERSONAL_ACCESS_GTY);
  await tx.run(
    `update personal_access_tokens set revoked_at = now() where client_id = $1 and revoked_at is null and ($2 or scopes && $3)`,
    [clientId, everything || personal, [...scopes]],
  );
  if (everything) await tx.run('delete from oidc_consents where client_id = $1', [clientId]);
  return deleted.filter((row) => ISSUED.includes(row.model)).length;
}
