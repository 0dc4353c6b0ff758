// A cache that can't go stale: it forgets what a change announced by the change feed may have touched (the changed
// row, or with `byTable` everything), forgets everything when the feed restarts, and is bypassed while the feed is down.
import type { ChangeChannel, ChangeFeed } from './change-feed.js';

export interface ChangeCacheOptions {
  /** Keys are row ids (forget the changed row), or false: any change announced on the channels forgets every entry. */
  byRow: boolean;
  maxEntries?: number;
}

export class ChangeCache<Value> {
  readonly #entries = new Map<string, Value>();
  readonly #maxEntries: number;
  // Bumped by every change heard: a load that began before a change may have read the old rows, so it is not kept.
  #generation = 0;

  constructor(
    private readonly feed: ChangeFeed,
    channels: ChangeChannel | readonly ChangeChannel[],
    private readonly load: (key: string) => Promise<Value | undefined>,
    { byRow, maxEntries = 10_000 }: ChangeCacheOptions,
  ) {
    this.#maxEntries = maxEntries;
    const forget = (id: string) => {
      // A new row changes no row anyone has cached, only what is computed over the table.
      if (byRow && id.startsWith('+')) return;
      this.#generation += 1;
      if (byRow && id !== '*') this.#entries.delete(id);
      else this.#entries.clear();
    };
    for (const channel of typeof channels === 'string' ? [channels] : channels) feed.on(channel, forget);
    feed.onReset(() => {
      this.#generation += 1;
      this.#entries.clear();
    });
  }

  async get(key: string): Promise<Value | undefined> {
    if (!this.feed.live) return this.load(key);
    const cached = this.#entries.get(key);
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const value = await this.load(key);
    if (value !== undefined && generation === this.#generation && this.feed.live) {
      if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(key, value);
    }
    return value;
  }
}
