// What the one token check (token-check.ts) found for an access token, kept until anything it rests on changes: the
// token row (revoked, replaced), its grant (revoked), the user (deactivated, deleted), the client (disabled, edited,
// deleted), the personal access token record (revoked), or any grant of permissions (to users, groups or clients) or
// group membership. The change feed announces each of these from every instance, so a change applies to the very next
// request, as if nothing were cached.
import type { ChangeFeed } from '../db/change-feed.js';
import type { TokenHolder } from './token-check.js';

export interface KnownToken {
  holder: TokenHolder;
  /** The stored id of the token's grant, if it has one. */
  grantKey?: string;
  /** When the token expires (ms since the epoch). */
  expiresAt: number;
}

const MAX_ENTRIES = 10_000;

export class TokenCache {
  /** By the token's stored id (its keyed hash), as the access_tokens channel names it. */
  readonly #entries = new Map<string, KnownToken>();
  #generation = 0;

  constructor(private readonly feed: ChangeFeed) {
    // Each channel names a changed row; forget every entry resting on it (`*`: on any row of that table).
    const forget = (restsOn: (entry: KnownToken, id: string) => boolean) => (id: string) => {
      if (id.startsWith('+')) return; // a new row: nothing known rests on it
      this.#generation += 1;
      for (const [key, entry] of this.#entries) if (id === '*' || restsOn(entry, id)) this.#entries.delete(key);
    };
    // Entries are keyed by the token row's own id.
    feed.on('access_tokens', (id) => {
      if (id === '*') {
        this.clear();
      } else if (!id.startsWith('+')) {
        this.#generation += 1;
        this.#entries.delete(id);
      }
    });
    feed.on('grants', forget((entry, id) => entry.grantKey === id));
    feed.on('users', forget((entry, id) => entry.holder.user?.id === id));
    feed.on('auth_clients', forget((entry, id) => entry.holder.clientId === id));
    feed.on('personal_access_tokens', forget((entry, id) => entry.holder.personal?.id === id));
    feed.on('permissions', forget(() => true));
    feed.onReset(() => this.clear());
  }

  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }

  /** Marks the start of a lookup: pass it to remember(), which keeps the result only if nothing changed meanwhile. */
  get generation(): number {
    return this.#generation;
  }

  recall(key: string, now = Date.now()): KnownToken | undefined {
    if (!this.feed.live) return undefined;
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  remember(key: string, entry: KnownToken, generation: number): void {
    if (generation !== this.#generation || !this.feed.live) return;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, entry);
  }
}
