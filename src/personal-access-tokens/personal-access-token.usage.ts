// Whether a personal access token may be used now, and recording its use: asked by the one token check
// (oidc/token-check.ts) on every use, so revoking a token, deactivating its user or editing its client applies at once.
import { AuthClientGrant } from '../auth-clients/auth-client.entity.js';
import type { Sql } from '../db/sql.js';
import { storedIdOf } from '../oidc/adapter.js';
import type { PersonalAccessTokenUse, UsablePersonalAccessToken } from '../oidc/token-check.js';
import { LastUsed } from '../shared/last-used.js';
import type { Secrets } from '../shared/secrets.js';

export class PersonalAccessTokenUsage implements PersonalAccessTokenUse {
  readonly #uses: LastUsed;

  constructor(private readonly sql: Sql, private readonly secrets: Secrets) {
    this.#uses = new LastUsed(sql, 'personal_access_tokens');
  }

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

  /** Records a use, writing at most once a minute per token (and noting the write in `token`, kept with the token). */
  touch(token: UsablePersonalAccessToken, now = new Date()): Promise<void> {
    return this.#uses.record(token.id, now, token);
  }
}
