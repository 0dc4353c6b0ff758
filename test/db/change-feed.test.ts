// Cached clients never outlive a change: whoever changes a client (this instance, another one, or plain SQL), the very
// next request on every instance sees it, in both storage modes; and a dropped feed bypasses the cache. (A change made
// by another process in embedded mode, the CLI's keys:rotate, is heard in test/oidc/key-rotation.test.ts.)
import { parse, type OperationDefinitionNode } from 'graphql';
import {
  CHANGE_CHANNELS, CHANGE_FEED_APPLICATION_NAME, InProcessChangeFeed, type ChangeChannel,
} from '../../src/db/change-feed.js';
import type { Sql } from '../../src/db/sql.js';
import { changesHeardBy } from '../../src/graphql/context.js';
import { NotificationScanner } from '../../src/db/notification-scanner.js';
import {
  heard, startApp, useTestApp, type TestApp,
} from '../helpers/app.js';
import {
  changeInSql, createClient, createUser, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import { CREATE_AUTH_CLIENT, graphql } from '../helpers/graphql.js';
import { oauthError, passwordGrant } from '../helpers/oauth.js';
import { serverUrl } from '../helpers/storage.js';

const t = useTestApp();
let user: TestUser;

beforeAll(async () => {
  user = await createUser(t.current);
});

/** A client that has just issued a token through `app`, so that instance holds it in memory. */
async function warmClient(...apps: TestApp[]): Promise<TestClient> {
  const client = await createClient(t.current);
  for (const app of apps) await passwordGrant(app, client, user);
  return client;
}

/** A change in plain SQL, once this instance has heard it (as the service's own writes wait to have). */
const sql = (text: string, values: unknown[] = []) => changeInSql(t.current, text, values);

const withoutPasswordGrant = (client: TestClient) => sql("update auth_clients set grants = '{personal_access}' where id = ?", [client.id]);

it('applies a change made in SQL to the very next token request', async () => {
  const client = await warmClient(t.current);
  await withoutPasswordGrant(client);
  expect(await oauthError(passwordGrant(t.current, client, user))).toMatchObject({ error: 'unauthorized_client' });
});

it('forgets a deleted client at once', async () => {
  const client = await warmClient(t.current);
  await sql('delete from auth_clients where id = ?', [client.id]);
  expect(await oauthError(passwordGrant(t.current, client, user))).toMatchObject({ error: 'invalid_client', status: 401 });
});

it('forgets every client when the table is emptied', async () => {
  const client = await warmClient(t.current);
  await sql('truncate auth_clients cascade');
  expect(await oauthError(passwordGrant(t.current, client, user))).toMatchObject({ error: 'invalid_client' });
});

it('counts a client added or removed anywhere in the very next totalCount', async () => {
  const admin = await createUser(t.current, { isSuperAdmin: true });
  const { access_token: token } = await passwordGrant(t.current, await createClient(t.current), admin);
  const count = async (search: string | null) => {
    const result = await graphql<{ authClients: { totalCount: number } }>(
      t.current.url, 'query($search: String) { authClients(first: 1, search: $search) { totalCount } }', { search }, token,
    );
    return result.data!.authClients.totalCount;
  };
  const all = await count(null);
  expect(await count('counted-later')).toBe(0);
  await sql("insert into auth_clients (id, name, grants) values (gen_random_uuid(), 'Counted Later', '{password}')");
  expect(await count('counted-later')).toBe(0); // a hyphen is not a space: still none
  expect(await count('counted later')).toBe(1);
  expect(await count(null)).toBe(all + 1);
  await sql("delete from auth_clients where name = 'Counted Later'");
  expect(await count('counted later')).toBe(0);
  expect(await count(null)).toBe(all);
});

describe('the pages of the client list, kept in memory', () => {
  let token: string;
  const LIST = 'query($search: String) { authClients(first: 5, search: $search) { edges { node { name enabled lastUsedAt } } } }';
  type Listed = { name: string; enabled: boolean; lastUsedAt: string | null };
  const page = async (app: TestApp, search: string) => {
    const result = await graphql<{ authClients: { edges: Array<{ node: Listed }> } }>(app.url, LIST, { search }, token);
    return result.data!.authClients.edges.map(({ node }) => node);
  };

  beforeAll(async () => {
    const admin = await createUser(t.current, { isSuperAdmin: true });
    token = (await passwordGrant(t.current, await createClient(t.current), admin)).access_token;
  });

  it('show a client changed in SQL, its lastUsedAt too, in the very next page', async () => {
    await sql("insert into auth_clients (id, name, grants) values (gen_random_uuid(), 'Paged Once', '{password}')");
    expect(await page(t.current, 'paged once')).toEqual([{ name: 'Paged Once', enabled: true, lastUsedAt: null }]);
    expect(await page(t.current, 'paged once')).toEqual([{ name: 'Paged Once', enabled: true, lastUsedAt: null }]);
    // Written once a minute per client as it is used, and announced on a channel of its own.
    await sql("update auth_clients set last_used_at = '2026-01-02T03:04:00Z' where name = 'Paged Once'");
    expect(await page(t.current, 'paged once')).toEqual([{ name: 'Paged Once', enabled: true, lastUsedAt: '2026-01-02T03:04:00.000Z' }]);
    await sql("update auth_clients set enabled = false where name = 'Paged Once'");
    expect(await page(t.current, 'paged once')).toEqual([{ name: 'Paged Once', enabled: false, lastUsedAt: '2026-01-02T03:04:00.000Z' }]);
    await sql("delete from auth_clients where name = 'Paged Once'");
    expect(await page(t.current, 'paged once')).toEqual([]);
  });

  (serverUrl ? it : it.skip)('show a client changed through one instance in the next page on another', async () => {
    const other = await startApp(t.current.storage);
    try {
      await sql("insert into auth_clients (id, name, grants) values (gen_random_uuid(), 'Paged Twice', '{password}')");
      expect(await page(other, 'paged twice')).toEqual([{ name: 'Paged Twice', enabled: true, lastUsedAt: null }]);
      const announced = heard(other, 'auth_clients_used');
      await t.current.em().execute("update auth_clients set last_used_at = '2026-01-02T03:05:00Z' where name = 'Paged Twice'");
      await announced;
      expect(await page(other, 'paged twice')).toEqual([{ name: 'Paged Twice', enabled: true, lastUsedAt: '2026-01-02T03:05:00.000Z' }]);
    } finally {
      await other.stop();
    }
  });
});

(serverUrl ? it : it.skip)('applies a change made through one instance to the next request on another', async () => {
  const other = await startApp(t.current.storage);
  try {
    const client = await warmClient(t.current, other);
    // The change reaches the other instance a moment after its commit; from then on its next request follows it.
    const announced = heard(t.current, 'auth_clients');
    await other.em().execute("update auth_clients set grants = '{personal_access}' where id = ?", [client.id]);
    await announced;
    expect(await oauthError(passwordGrant(t.current, client, user))).toMatchObject({ error: 'unauthorized_client' });
    expect(await oauthError(passwordGrant(other, client, user))).toMatchObject({ error: 'unauthorized_client' });
  } finally {
    await other.stop();
  }
});

(serverUrl ? it : it.skip)('serves from the database while it cannot listen, and listens again by itself', async () => {
  const listeners = () => t.current.em().execute<Array<{ pid: number }>>(
    'select pid from pg_stat_activity where datname = current_database() and application_name = ?',
    [CHANGE_FEED_APPLICATION_NAME],
  );
  const [listener] = await listeners();
  expect(listener).toBeDefined();
  const client = await warmClient(t.current);
  await t.current.em().execute('select pg_terminate_backend(?)', [listener!.pid]);
  // Changed while nobody listens: the instance must not answer from what it had cached.
  await withoutPasswordGrant(client);
  expect(await oauthError(passwordGrant(t.current, client, user))).toMatchObject({ error: 'unauthorized_client' });

  for (let tries = 0; tries < 50 && (await listeners()).every(({ pid }) => pid === listener!.pid); tries += 1) {
    await new Promise((resolve) => { setTimeout(resolve, 100); });
  }
  const [again] = await listeners();
  expect(again?.pid).not.toBe(listener!.pid);
  const next = await warmClient(t.current);
  await withoutPasswordGrant(next);
  expect(await oauthError(passwordGrant(t.current, next, user))).toMatchObject({ error: 'unauthorized_client' });
});

describe('a mutation that says which notifications it raises', () => {
  // createAuthClient waits for its own notifications instead of the sync marker (auth-client.service.ts create): they
  // must be all it raises, or its caller's next request could miss the rest. A trigger added later fails this.
  it.each([
    ['a confidential client', { grants: ['PASSWORD'] }, (id: string) => [['auth_clients', `+${id}`], ['auth_clients', id]]],
    ['a public client', { grants: ['AUTHORIZATION_CODE'], redirectUris: ['https://app.example/cb'], confidential: false }, (id: string) => [['auth_clients', `+${id}`]]],
  ])('createAuthClient of %s raises exactly what it waits for', async (_kind, input, expected) => {
    const admin = await createUser(t.current, { isSuperAdmin: true });
    const { access_token: token } = await passwordGrant(t.current, await createClient(t.current), admin);
    const feed = t.current.app.changes;
    let recorded: string[][] | undefined;
    // Last used, written once a minute per client as tokens are issued: not a change of what is created here.
    for (const channel of CHANGE_CHANNELS.filter((name): name is ChangeChannel => name !== 'sync' && name !== 'auth_clients_used')) {
      feed.on(channel, (id) => recorded?.push([channel, id]));
    }
    await feed.sync();
    recorded = [];
    const result = await graphql<{ createAuthClient: { authClient: { id: string } } }>(
      t.current.url, CREATE_AUTH_CLIENT, { input: { name: `raises-${Date.now()}`, ...input } }, token,
    );
    const { id } = result.data!.createAuthClient.authClient;
    await feed.sync();
    expect(recorded.sort()).toEqual(expected(id).sort());
    recorded = undefined;
  });

  describe('ChangeFeed.expect', () => {
    let emit: (channel: string, payload: string) => void;
    const feed = () => new InProcessChangeFeed(undefined as unknown as Sql, (listener) => { emit = listener; });
    const settledYet = async (promise: Promise<void>) => {
      let settled = false;
      void promise.then(() => { settled = true; });
      await new Promise((resolve) => { setImmediate(resolve); });
      return settled;
    };

    it('resolves once every id has been heard on its channel, after the listeners have had it', async () => {
      const changes = feed();
      const order: string[] = [];
      changes.on('auth_clients', (id) => order.push(`listener ${id}`));
      const { heard } = changes.expect('auth_clients', ['+a', 'a']);
      void heard.then(() => order.push('heard'));
      emit('auth_clients', '+a');
      emit('users', 'a'); // another channel
      emit('auth_clients', 'b'); // another row
      expect(await settledYet(heard)).toBe(false);
      emit('auth_clients', 'a');
      expect(await settledYet(heard)).toBe(true);
      expect(order).toEqual(['listener +a', 'listener b', 'listener a', 'heard']);
    });

    it('resolves when cancelled, on a reset, and at once while the feed is not live', async () => {
      const changes = feed();
      const cancelled = changes.expect('auth_clients', ['c']);
      cancelled.cancel();
      expect(await settledYet(cancelled.heard)).toBe(true);
      emit('auth_clients', 'c'); // forgotten: nothing left to call

      const pending = changes.expect('auth_clients', ['d']);
      expect(await settledYet(pending.heard)).toBe(false);
      await changes.close();
      expect(await settledYet(pending.heard)).toBe(true);
      expect(await settledYet(changes.expect('auth_clients', ['e']).heard)).toBe(true);
    });
  });

  describe('changesHeardBy', () => {
    const heard = Promise.resolve();
    const operation = (text: string) => parse(text).definitions[0] as OperationDefinitionNode;
    const context = (...keys: string[]) => ({ changesHeard: new Map(keys.map((key) => [key, heard])) });

    it('waits for what every root field said, by response key, __typename aside', () => {
      expect(changesHeardBy(operation('mutation { createAuthClient(input: {}) { clientSecret } }'), context('createAuthClient'))).toBeInstanceOf(Promise);
      expect(changesHeardBy(operation('mutation { a: createAuthClient(input: {}) { clientSecret } __typename }'), context('a'))).toBeInstanceOf(Promise);
    });

    it('leaves it to sync() otherwise', () => {
      expect(changesHeardBy(operation('mutation { createAuthClient(input: {}) { clientSecret } }'), context())).toBeUndefined();
      expect(changesHeardBy(operation('mutation { a: createAuthClient(input: {}) { clientSecret } b: deleteAuthClient(id: "x") }'), context('a'))).toBeUndefined();
      expect(changesHeardBy(operation('mutation { a: createAuthClient(input: {}) { clientSecret } }'), context('createAuthClient'))).toBeUndefined();
      expect(changesHeardBy(operation('mutation { ...M } fragment M on Mutation { createAuthClient(input: {}) { clientSecret } }'), context('createAuthClient'))).toBeUndefined();
      expect(changesHeardBy(operation('mutation { ... on Mutation { createAuthClient(input: {}) { clientSecret } } }'), context('createAuthClient'))).toBeUndefined();
    });
  });
});

describe('NotificationScanner', () => {
  // Backend messages: ReadyForQuery, a NotificationResponse for channel "auth_clients" with an id, CommandComplete.
  const message = (type: string, body: Buffer) => {
    const header = Buffer.alloc(5);
    header.write(type, 0, 'latin1');
    header.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([header, body]);
  };
  const notification = message('A', Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('auth_clients\0abc-123\0')]));
  const stream = Buffer.concat([message('Z', Buffer.from('I')), notification, message('C', Buffer.from('UPDATE 1\0'))]);

  it.each([1, 2, 3, 5, 7, 16, stream.length])('finds a notification in chunks of %i bytes', (size) => {
    const heard: string[][] = [];
    const scanner = new NotificationScanner((channel, payload) => heard.push([channel, payload]));
    for (let offset = 0; offset < stream.length; offset += size) scanner.push(stream.subarray(offset, offset + size));
    expect(heard).toEqual([['auth_clients', 'abc-123']]);
  });
});
