// A cache that can't go stale: it forgets what a change announced by the change feed may have touched (the changed
// row, or with `byTable` everything), forgets everything when the feed restarts, and is bypassed while the feed is down.
import type { ChangeChannel, ChangeFeed } from './change-feed.js';

export interface ChangeCacheOptions<Value> {
  /** Keys are row ids (forget the changed row), or false: any change announced on the channels forgets every entry. */
  byRow: boolean;
  maxEntries?: number;
  /** Whether a loaded value may be kept (by default, any value but undefined is). */
  keep?: (value: Value) => boolean;
  /** Whether a kept value has lapsed by itself (a token past its expiry): then it is forgotten when next asked for. */
  expired?: (value: Value, now: number) => boolean;
  /**
   * Rows of other channels that entries rest on: a change to one forgets the entries for which `restsOn` holds (every
   * entry for `*`). A new row (`+id`) forgets nothing.
   */
  restsOn?: Partial<Record<ChangeChannel, (value: Value, id: string) => boolean>>;
}

export class ChangeCache<Value> {
  readonly #entries = new Map<string, Value>();
  readonly #maxEntries: number;
  readonly #keep: (value: Value) => boolean;
  readonly #expired: ((value: Value, now: number) => boolean) | undefined;
  // Bumped by every change heard: a load that began before a change may have read the old rows, so it is not kept.
  #generation = 0;

  /** `load` reads what get() misses; without one, the caller looks up itself between recall() and remember(). */
  constructor(
    private readonly feed: ChangeFeed,
    channels: ChangeChannel | readonly ChangeChannel[],
    private readonly load: ((key: string) => Promise<Value | undefined>) | undefined,
    {
      byRow, maxEntries = 10_000, keep = () => true, expired, restsOn = {},
    }: ChangeCacheOptions<Value>,
  ) {
    this.#maxEntries = maxEntries;
    this.#keep = keep;
    this.#expired = expired;
    const forget = (id: string) => {
      // A new row changes no row anyone has cached, only what is computed over the table.
      if (byRow && id.startsWith('+')) return;
      this.#generation += 1;
      if (byRow && id !== '*') this.#entries.delete(id);
      else this.#entries.clear();
    };
    for (const channel of typeof channels === 'string' ? [channels] : channels) feed.on(channel, forget);
    for (const [channel, restsOnRow] of Object.entries(restsOn) as Array<[ChangeChannel, (value: Value, id: string) => boolean]>) {
      feed.on(channel, (id) => {
        if (id.startsWith('+')) return;
        this.#generation += 1;
        for (const [key, value] of this.#entries) if (id === '*' || restsOnRow(value, id)) this.#entries.delete(key);
      });
    }
    feed.onReset(() => {
      this.#generation += 1;
      this.#entries.clear();
    });
  }

  async get(key: string): Promise<Value | undefined> {
    if (!this.load) throw new Error('This ChangeCache has no loader: use recall() and remember()');
    if (!this.feed.live) return this.load(key);
    const cached = this.recall(key);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const value = await this.load(key);
    if (value !== undefined) this.remember(key, value, generation);
    return value;
  }

  /** The value kept for `key`, if any, and never while the feed is down. */
  recall(key: string, now = Date.now()): Value | undefined {
    if (!this.feed.live) return undefined;
    const value = this.#entries.get(key);
    if (value !== undefined && this.#expired?.(value, now)) {
      this.#entries.delete(key);
      return undefined;
    }
    return value;
  }

  /** Marks the start of a lookup: pass it to remember(), which keeps the result only if nothing changed meanwhile. */
  get generation(): number {
    return this.#generation;
  }

  remember(key: string, value: Value, generation: number): void {
    if (generation !== this.#generation || !this.feed.live || !this.#keep(value)) return;
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, value);
  }
}
