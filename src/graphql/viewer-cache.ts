// What /graphql has worked out from a bearer token (its user, their permissions), kept until anything it rests on
// changes: the token row (revoked), the user (deactivated, deleted), the client (disabled, grants edited, deleted), the
// personal access token record (revoked), or any grant of permissions or group membership. The change feed announces
// each of these from every instance, so a change applies to the very next request, as if nothing were cached.
import type { ChangeFeed } from '../db/change-feed.js';
import type { Viewer } from './context.js';

export interface KnownViewer {
  viewer: Viewer;
  clientId: string;
  /**
   * The JWK thumbprint a DPoP-bound token is bound to (cnf.jkt): the binding is checked on every request, answered from
   * here or not. The proof itself is checked anew each time (graphql/dpop.ts), never kept.
   */
  jkt?: string;
  /** When the token expires (ms since the epoch). */
  expiresAt: number;
  /** For a personal access token: its record, whose last use is written at most once a minute. */
  personal?: { id: string; lastUsedAt: Date | null };
}

const MAX_ENTRIES = 10_000;

export class ViewerCache {
  /** By the token's stored id (its keyed hash), as the access_tokens channel names it. */
  readonly #entries = new Map<string, KnownViewer>();
  #generation = 0;

  constructor(private readonly feed: ChangeFeed) {
    // Each channel names a changed row; forget every entry resting on it (`*`: on any row of that table).
    const forget = (restsOn: (entry: KnownViewer, id: string) => boolean) => (id: string) => {
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
    feed.on('users', forget((entry, id) => entry.viewer.user.id === id));
    feed.on('auth_clients', forget((entry, id) => entry.clientId === id));
    feed.on('personal_access_tokens', forget((entry, id) => entry.personal?.id === id));
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

  recall(key: string, now = Date.now()): KnownViewer | undefined {
    if (!this.feed.live) return undefined;
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  remember(key: string, entry: KnownViewer, generation: number): void {
    if (generation !== this.#generation || !this.feed.live) return;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, entry);
  }
}
