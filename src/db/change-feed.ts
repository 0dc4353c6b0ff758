// Tells every instance, at once, that a row it may have cached has changed: PostgreSQL LISTEN/NOTIFY, fed by triggers
// (see the hot_paths migration), so a change made by any instance, the CLI or plain SQL is heard.
// Caches serve only while the feed is live; whenever it (re)starts or drops, they forget everything.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describeError, type Logger } from '../shared/logger.js';
import type { Sql } from './sql.js';

/**
 * What changes are announced (see the hot_paths and api_scopes migrations). The payload is the changed row's id, `+id` for a new row,
 * or `*` for all rows; `permissions` always says `*`. `auth_clients_used` is a client's lastUsedAt written (at most once
 * a minute per client, migration client_use_announced), which only what shows it (the list's pages) listens to.
 */
export const CHANGE_CHANNELS = ['auth_clients', 'auth_clients_used', 'crypto_keys', 'access_tokens', 'grants', 'users', 'personal_access_tokens', 'permissions', 'sync'] as const;
export type ChangeChannel = Exclude<(typeof CHANGE_CHANNELS)[number], 'sync'>;

/** Subscribes a session to every channel: run by the server feed's connection and by the embedded database's session. */
export const LISTEN_TO_CHANGES = CHANGE_CHANNELS.map((channel) => `listen ${channel};`).join(' ');

// How long sync() waits for its own marker before giving up (the feed is then restarting, and caches are bypassed).
const SYNC_TIMEOUT_MS = 2000;

export interface ChangeFeed {
  /** True while every change is being heard. A cache must not answer from memory while this is false. */
  readonly live: boolean;
  on(channel: ChangeChannel, listener: (id: string) => void): void;
  /** Called when the feed starts, stops or restarts: anything cached may have missed a change. */
  onReset(listener: () => void): void;
  /**
   * Resolves once this instance has heard every change committed before the call. A change reaches the listeners a
   * moment after its commit; a request that changed something waits for this before answering, so its caller's next
   * request, here or anywhere the change has been heard, sees it.
   */
  sync(): Promise<void>;
  /**
   * The notifications a statement about to be sent will raise, as `channel` and row ids (of rows no one else awaits):
   * `heard` resolves once this instance has heard them all, which for that statement's caller is what sync() would
   * say, without the marker's statement. Made before the statement is sent, since its notifications may arrive before
   * its answer; `cancel` when it changed nothing after all. Like sync(), it resolves at once while the feed is not
   * live, on a reset, and after SYNC_TIMEOUT_MS at most.
   */
  expect(channel: ChangeChannel, ids: readonly string[]): Expectation;
  close(): Promise<void>;
}

export interface Expectation {
  heard: Promise<void>;
  cancel: () => void;
}

/** Fans notifications out to listeners; the sources below feed it. */
abstract class Dispatcher implements ChangeFeed {
  #live = false;
  readonly #listeners = new Map<string, Array<(id: string) => void>>();
  readonly #resetListeners: Array<() => void> = [];
  // By channel and id (`channel:id`, the sync marker's as `sync:marker`): what sync() and each expectation still
  // wait for.
  readonly #expected = new Map<string, () => void>();

  /** `sql` sends the marker that sync() waits for; none where nothing is cached. */
  constructor(private readonly sql?: Sql) {}

  async sync(): Promise<void> {
    if (!this.#live || !this.sql) return;
    const marker = randomUUID();
    // Notifications reach a listener in commit order: once the marker is heard, so is everything committed before it.
    const { heard, cancel } = this.#awaitHearing([`sync:${marker}`]);
    try {
      // The marker is worth nothing after a crash: its commit need not wait for the WAL to reach the disk, a flush that
      // would otherwise cost every mutation a second one after its own.
      await this.sql.run("select set_config('synchronous_commit', 'off', true), pg_notify('sync', $1)", [marker], { prepare: true });
    } catch (error) {
      cancel();
      throw error;
    }
    await heard;
  }

  expect(channel: ChangeChannel, ids: readonly string[]): Expectation {
    if (!this.#live || ids.length === 0) return { heard: Promise.resolve(), cancel: () => {} };
    return this.#awaitHearing(ids.map((id) => `${channel}:${id}`));
  }

  /** Resolves once a notification was heard under each of `keys`; or on cancel, on a reset, after SYNC_TIMEOUT_MS. */
  #awaitHearing(keys: readonly string[]): Expectation {
    let left = keys.length;
    let done!: () => void;
    const heard = new Promise<void>((resolve) => { done = resolve; });
    const cancel = () => {
      clearTimeout(timer);
      for (const key of keys) this.#expected.delete(key);
      done();
    };
    const timer = setTimeout(cancel, SYNC_TIMEOUT_MS);
    for (const key of keys) {
      this.#expected.set(key, () => {
        left -= 1;
        if (left === 0) cancel();
      });
    }
    return { heard, cancel };
  }

  get live(): boolean {
    return this.#live;
  }

  on(channel: ChangeChannel, listener: (id: string) => void): void {
    this.#listeners.set(channel, [...(this.#listeners.get(channel) ?? []), listener]);
  }

  onReset(listener: () => void): void {
    this.#resetListeners.push(listener);
  }

  protected setLive(live: boolean): void {
    this.#live = live;
    for (const listener of this.#resetListeners) listener();
    // Whatever was awaited may have been missed, and the caches have just forgotten everything anyway.
    for (const heard of [...this.#expected.values()]) heard();
  }

  protected dispatch(channel: string, id: string): void {
    // Listeners first: what a caller waits for is that the caches have had the change.
    for (const listener of this.#listeners.get(channel) ?? []) listener(id);
    if (this.#expected.size > 0) {
      const key = `${channel}:${id}`;
      const heard = this.#expected.get(key);
      this.#expected.delete(key);
      heard?.();
    }
  }

  abstract close(): Promise<void>;
}

/** Never live: for processes that keep nothing cached across requests (the CLI joining a running service). */
export class NoChangeFeed extends Dispatcher {
  async close(): Promise<void> {}
}

/**
 * For the embedded database: the process that owns PGlite sees every notification in the protocol stream it serves
 * (PGlite is one session, so a NOTIFY comes back to whichever connection committed it) and hands them here.
 */
export class InProcessChangeFeed extends Dispatcher {
  constructor(sql: Sql, subscribe: (listener: (channel: string, payload: string) => void) => void) {
    super(sql);
    subscribe((channel, payload) => this.dispatch(channel, payload));
    this.setLive(true);
  }

  close(): Promise<void> {
    this.setLive(false);
    return Promise.resolve();
  }
}

/** A feed's connection opened ahead of PgChangeFeed.start. */
export interface PreconnectedClient {
  client: pg.Client;
  connected: Promise<unknown>;
}

/** The listening connection's application_name, as pg_stat_activity shows it. */
export const CHANGE_FEED_APPLICATION_NAME = 'auth-clients change feed';

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;
/**
 * A server that stops answering without closing the connection (frozen, or cut off by the network while other
 * instances still reach it) would leave the feed looking live while it hears nothing: the listening connection is
 * asked `select 1` every HEARTBEAT_MS, and one unanswered for HEARTBEAT_TIMEOUT_MS counts as lost. Caches are bypassed
 * from then on, so an instance that cannot hear changes stops answering from memory within about 3 seconds.
 */
const HEARTBEAT_MS = 1000;
const HEARTBEAT_TIMEOUT_MS = 2000;

/** For a PostgreSQL server: one dedicated connection that LISTENs, reconnecting after any failure. */
export class PgChangeFeed extends Dispatcher {
  #client: pg.Client | undefined;
  #closed = false;
  #retryMs = RECONNECT_MIN_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  private constructor(private readonly connection: pg.ClientConfig, sql: Sql, private readonly logger: Logger) {
    super(sql);
  }

  /**
   * Opens the connection that start() will listen on, ahead of it, so that connecting overlaps the caller's other work.
   * Until start() takes it over, a failure only waits there; `client.end()` disposes of one never taken over.
   */
  static preconnect(connection: pg.ClientConfig): PreconnectedClient {
    const client = new pg.Client(connection);
    client.on('error', () => {}); // seen by start(), whose first query on it then fails
    const connected = client.connect();
    connected.catch(() => {}); // start() awaits it and sees the failure
    return { client, connected };
  }

  /** Connects (or takes `preconnected`) and listens before returning, so caches are live from the first request. */
  static async start(connection: pg.ClientConfig, sql: Sql, logger: Logger, preconnected?: PreconnectedClient): Promise<PgChangeFeed> {
    const feed = new PgChangeFeed(connection, sql, logger);
    try {
      await feed.#connect(preconnected);
    } catch (error) {
      await feed.close(); // no retries for a feed nobody will use
      throw error;
    }
    return feed;
  }

  async #connect(preconnected?: PreconnectedClient): Promise<void> {
    const client = preconnected?.client ?? new pg.Client(this.connection);
    client.on('notification', (message) => this.dispatch(message.channel, message.payload ?? '*'));
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    try {
      await (preconnected?.connected ?? client.connect());
      await client.query(LISTEN_TO_CHANGES);
    } catch (error) {
      this.#lost(client);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#retryMs = RECONNECT_MIN_MS;
    this.#beat(client);
    this.setLive(true);
  }

  /** Asks the listening connection for a sign of life every HEARTBEAT_MS; see HEARTBEAT_TIMEOUT_MS. */
  #beat(client: pg.Client): void {
    clearInterval(this.#heartbeat);
    let askedAt: number | undefined;
    this.#heartbeat = setInterval(() => {
      if (this.#client !== client) {
        clearInterval(this.#heartbeat);
        return;
      }
      if (askedAt !== undefined) {
        if (Date.now() - askedAt >= HEARTBEAT_TIMEOUT_MS) this.#lost(client);
        return;
      }
      askedAt = Date.now();
      client.query('select 1').then(() => { askedAt = undefined; }, () => { if (this.#client === client) this.#lost(client); });
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  #lost(client: pg.Client): void {
    client.removeAllListeners('end');
    client.end().catch(() => {});
    if (this.#client !== client && this.#client !== undefined) return;
    clearInterval(this.#heartbeat);
    this.#client = undefined;
    if (this.live) this.setLive(false);
    if (this.#closed || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect().catch((error: unknown) => {
        this.logger.error('Listening for changes failed; caches are bypassed until it works', describeError(error));
      });
    }, this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RECONNECT_MAX_MS);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#heartbeat);
    const client = this.#client;
    this.#client = undefined;
    if (this.live) this.setLive(false);
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
    }
  }
}
