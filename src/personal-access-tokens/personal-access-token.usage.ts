// Whether a personal access token may be used now, and recording its use: asked by the one token check
// (oidc/token-check.ts) on every use, so revoking a token, deactivating its user or editing its client applies at once.
import { AuthClientGrant } from '../auth-clients/auth-client.entity.js';
import type { Sql } from '../db/sql.js';
import { storedIdOf } from '../oidc/adapter.js';
import type { PersonalAccessTokenUse, UsablePersonalAccessToken } from '../oidc/token-check.js';
import type { Secrets } from '../shared/secrets.js';

/** lastUsedAt is written at most this often per token. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export class PersonalAccessTokenUsage implements PersonalAccessTokenUse {
  constructor(private readonly sql: Sql, private readonly secrets: Secrets) {}

  /**
   * The token's id and last use if it may be used now: not revoked, not expired, its user active, and its client enabled
   * and still allowing personal access tokens.
   */
  async usable(value: string): Promise<UsablePersonalAccessToken | null> {
    return (await this.sql.one<UsablePersonalAccessToken>(
      `select t.id, t.last_used_at as "lastUsedAt" from personal_access_tokens t
       join users u on u.id = t.user_id and u.is_active
       join auth_clients c on c.id = t.client_id and c.enabled and $2 = any(c.grants)
       where t.token_hash = $1 and t.revoked_at is null and t.expires_at > now()`,
      [storedIdOf(this.secrets, value), AuthClientGrant.PERSONAL_ACCESS],
      { prepare: true },
    )) ?? null;
  }

  /** Records a use, writing at most once a minute per token (and noting the write in `token`). */
  async touch(token: UsablePersonalAccessToken, now = new Date()): Promise<void> {
    if (token.lastUsedAt && now.getTime() - token.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
    token.lastUsedAt = now;
    await this.sql.run(
      'update personal_access_tokens set last_used_at = $2 where id = $1 and (last_used_at is null or last_used_at < $3)',
      [token.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)],
    );
  }
}
