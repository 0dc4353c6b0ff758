// A cache of rows by id that can't go stale: it forgets a row as soon as the change feed announces a change to it,
// forgets everything when the feed restarts, and is bypassed altogether while the feed is down.
import type { ChangeChannel, ChangeFeed } from './change-feed.js';

export class CachedById<Value> {
  readonly #entries = new Map<string, Value>();
  // Bumped by every change heard: a load that began before a change may have read the old row, so it is not kept.
  #generation = 0;

  constructor(
    private readonly feed: ChangeFeed,
    channel: ChangeChannel,
    private readonly load: (id: string) => Promise<Value | undefined>,
    private readonly maxEntries = 10_000,
  ) {
    feed.on(channel, (id) => {
      this.#generation += 1;
      if (id === '*') this.#entries.clear();
      else this.#entries.delete(id);
    });
    feed.onReset(() => {
      this.#generation += 1;
      this.#entries.clear();
    });
  }

  async get(id: string): Promise<Value | undefined> {
    if (!this.feed.live) return this.load(id);
    const cached = this.#entries.get(id);
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const value = await this.load(id);
    if (value !== undefined && generation === this.#generation && this.feed.live) {
      if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(id, value);
    }
    return value;
  }
}
