// lastUsedAt columns (auth clients, their secrets, personal access tokens): written to the minute, so that a busy
// client or token costs a write a minute rather than one per request.
import type { Sql } from '../db/sql.js';

/** A lastUsedAt is written at most this often per row. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** The tables with a last_used_at column written on use. */
export type LastUsedTable = 'auth_clients' | 'auth_client_secrets' | 'personal_access_tokens';

/**
 * Records uses of the rows of one table. This instance remembers when it last wrote each row, so most uses need no
 * query at all; the conditional update keeps several instances to one write a minute too.
 */
export class LastUsed {
  readonly #written = new Map<string, number>();

  constructor(private readonly sql: Sql, private readonly table: LastUsedTable) {}

  /**
   * Records a use of row `id` at `now`; a write that fails is tried again on the next use. `known`, a copy of the row
   * read with it (and kept as long as the row is unchanged), is used and updated in place of this instance's memory.
   */
  async record(id: string, now = new Date(), known?: { lastUsedAt: Date | null }): Promise<void> {
    const last = known ? known.lastUsedAt?.getTime() : this.#written.get(id);
    if (last !== undefined && now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
    const before = known?.lastUsedAt ?? null;
    if (known) {
      known.lastUsedAt = now;
    } else {
      if (this.#written.size >= 10_000) this.#written.clear();
      this.#written.set(id, now.getTime());
    }
    try {
      await this.sql.run(
        `update ${this.table} set last_used_at = $2 where id = $1 and (last_used_at is null or last_used_at < $3)`,
        [id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)],
        { prepare: true },
      );
    } catch (error) {
      if (known) known.lastUsedAt = before;
      else this.#written.delete(id);
      throw error;
    }
  }
}
