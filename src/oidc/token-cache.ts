// What the one token check (token-check.ts) found for an access token, kept until anything it rests on changes: the
// token row (revoked, replaced), its grant (revoked), the user (deactivated, deleted), the client (disabled, edited,
// deleted), the personal access token record (revoked), or any grant of permissions (to users, groups or clients) or
// group membership. The change feed announces each of these from every instance, so a change applies to the very next
// request, as if nothing were cached.
import { ChangeCache } from '../db/change-cache.js';
import type { ChangeFeed } from '../db/change-feed.js';
import type { TokenHolder } from './token-check.js';

export interface KnownToken {
  holder: TokenHolder;
  /** The stored id of the token's grant, if it has one. */
  grantKey?: string;
  /** When the token expires (ms since the epoch). */
  expiresAt: number;
}

/** By the token's stored id (its keyed hash), as the access_tokens channel names it; looked up by the token check. */
export function tokenCache(feed: ChangeFeed): ChangeCache<KnownToken> {
  return new ChangeCache<KnownToken>(feed, 'access_tokens', undefined, {
    byRow: true,
    expired: (entry, now) => entry.expiresAt <= now,
    restsOn: {
      grants: (entry, id) => entry.grantKey === id,
      users: (entry, id) => entry.holder.user?.id === id,
      auth_clients: (entry, id) => entry.holder.clientId === id,
      personal_access_tokens: (entry, id) => entry.holder.personal?.id === id,
      permissions: () => true,
    },
  });
}
