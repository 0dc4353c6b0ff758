// Brute-force protection of every password check: the password grant, the sign-in form and a change of one's own
// password share per-username and per-address counters kept in PostgreSQL. Waits are short here (SIGN_IN_*), and the
// service trusts the loopback proxy, so each test sends from addresses of its own (X-Forwarded-For).
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { parseConfig } from '../../src/config.js';
import { CHANGE_CHANNELS } from '../../src/db/change-feed.js';
import { startApp, useTestApp, type TestApp } from '../helpers/app.js';
import { FormBrowser, type Page } from '../helpers/browser.js';
import {
  createClient, createUser, settled, type TestClient, type TestUser,
} from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { openSignInPage, passwordGrant } from '../helpers/oauth.js';
import { createTestStorage, serverUrl, type TestStorage } from '../helpers/storage.js';
import { onSignInEvent } from '../../src/users/sign-in-events.js';

const LIMITS = {
  SIGN_IN_MAX_FAILURES: '5',
  SIGN_IN_LOCK_SECONDS: '1',
  SIGN_IN_MAX_LOCK_SECONDS: '4',
  SIGN_IN_IP_MAX_FAILURES: '12',
  SIGN_IN_IP_WINDOW_SECONDS: '6',
  TRUST_PROXY: 'loopback',
};
const t = useTestApp(LIMITS);
const REDIRECT = 'https://app.example.com/callback';
let client: TestClient;
let mainClient: TestClient;

beforeAll(async () => {
  mainClient = await createClient(t.current, [AuthClientGrant.PASSWORD, AuthClientGrant.AUTHORIZATION_CODE], [REDIRECT]);
  client = mainClient;
});

let addresses = 0;
/** An address no other test sends from. */
const newAddress = () => { addresses += 1; return `10.${(addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`; };
const sleep = (ms: number) => new Promise((resolve) => { setTimeout(resolve, ms); });

interface TokenAnswer { status: number; error?: string; description?: string; retryAfter: string | null }

/** A password grant from `address` (through the trusted proxy), as a legacy app sends it. */
async function grant(username: string, password: string, address = newAddress(), on: TestApp = t.current): Promise<TokenAnswer> {
  const response = await fetch(`${on.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
      'x-forwarded-for': address,
    },
    body: new URLSearchParams({ grant_type: 'password', username, password, scope: 'openid' }),
  });
  const body = await response.json() as { error?: string; error_description?: string };
  return {
    status: response.status, error: body.error, description: body.error_description, retryAfter: response.headers.get('retry-after'),
  };
}

const CHECKED_AND_WRONG = { status: 400, error: 'invalid_grant', description: 'grant request is invalid' };
const REFUSED_UNCHECKED = { status: 400, error: 'invalid_grant', description: 'too many failed sign-in attempts; try again later' };

/** `count` wrong guesses for `username`, each from its own address; their answers. */
async function fail(username: string, count: number): Promise<TokenAnswer[]> {
  const answers: TokenAnswer[] = [];
  for (let i = 0; i < count; i += 1) answers.push(await grant(username, 'wrong-password'));
  return answers;
}

/** Runs `work` for each of `count` items, `concurrency` at a time. */
async function pool<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next;
      next += 1;
      results[i] = await work(i);
    }
  }));
  return results;
}

describe('the password grant', () => {
  it('answers a username that does not exist exactly as one that does', async () => {
    const user = await createUser(t.current);
    const real = await fail(user.username, 7);
    const made_up = await fail(`nobody-${user.username}`, 7);
    expect(made_up).toEqual(real);
    expect(real.slice(0, 5)).toEqual(Array(5).fill(expect.objectContaining(CHECKED_AND_WRONG)));
    expect(real.slice(5)).toEqual(Array(2).fill(expect.objectContaining(REFUSED_UNCHECKED)));
  });

  it('counts the username however it is written: case and surrounding spaces do not matter', async () => {
    const user = await createUser(t.current);
    await fail(user.username, 3);
    await fail(`  ${user.username.toUpperCase()} `, 2);
    expect(await grant(user.username, user.password)).toMatchObject(REFUSED_UNCHECKED);
  });

  it('makes a username wait 1 s after 5 failures, then doubles the wait with each failure, up to 4 s', async () => {
    const user = await createUser(t.current);
    await fail(user.username, 5);
    for (const wait of [1, 2, 4, 4]) {
      const refused = await grant(user.username, user.password);
      expect(refused).toMatchObject(REFUSED_UNCHECKED);
      expect(Number(refused.retryAfter)).toBe(wait);
      await sleep(wait * 500);
      expect(await grant(user.username, user.password)).toMatchObject(REFUSED_UNCHECKED);
      await sleep(wait * 500 + 100);
      // One guess now, and it is checked.
      expect(await grant(user.username, 'wrong-password')).toMatchObject(CHECKED_AND_WRONG);
    }
    await sleep(4100);
    expect((await grant(user.username, user.password)).status).toBe(200);
  }, 30000);

  it('lets only one of 4 simultaneous guesses through when a wait ends', async () => {
    const user = await createUser(t.current);
    await fail(user.username, 5);
    await sleep(1100);
    const answers = await Promise.all(Array.from({ length: 4 }, () => grant(user.username, 'wrong-password')));
    expect(answers.filter((answer) => answer.description === CHECKED_AND_WRONG.description)).toHaveLength(1);
    expect(answers.filter((answer) => answer.description === REFUSED_UNCHECKED.description)).toHaveLength(3);
  });

  it('does not refuse one user signing in from 12 places at once, with the right password', async () => {
    const user = await createUser(t.current);
    const answers = await Promise.all(Array.from({ length: 12 }, () => grant(user.username, user.password)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(12).fill(200));
  });

  it('signs one user in 40 times, 10 at a time from one address, with never an error', async () => {
    // Each check takes the address's and the username's counters together, and gives both back together: always in one
    // order, or two of them wait for each other (a deadlock, answered 500).
    const user = await createUser(t.current);
    const address = newAddress();
    const answers = await pool(40, 10, () => grant(user.username, user.password, address));
    expect(answers.map((answer) => answer.status)).toEqual(Array(40).fill(200));
  });

  it('forgets the failures of a username once its password is right', async () => {
    const user = await createUser(t.current);
    await fail(user.username, 4);
    expect((await grant(user.username, user.password)).status).toBe(200);
    expect(await fail(user.username, 5)).toEqual(Array(5).fill(expect.objectContaining(CHECKED_AND_WRONG)));
    expect(await grant(user.username, user.password)).toMatchObject(REFUSED_UNCHECKED);
  });

  it('refuses an address after 12 failures with 429 and Retry-After, other addresses still served, until its window ends', async () => {
    const user = await createUser(t.current);
    const address = newAddress();
    // Successes do not count against the address.
    for (let i = 0; i < 3; i += 1) expect((await grant(user.username, user.password, address)).status).toBe(200);
    // 12 failures, spread over usernames so that none of them waits.
    for (let i = 0; i < 12; i += 1) expect(await grant(`sprayed-${i % 3}-${user.username}`, 'wrong-password', address)).toMatchObject(CHECKED_AND_WRONG);
    const refused = await grant(user.username, user.password, address);
    expect(refused).toMatchObject({ status: 429, error: 'temporarily_unavailable' });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(6);
    expect((await grant(user.username, user.password)).status).toBe(200);
    await sleep(Number(refused.retryAfter) * 1000 + 100);
    expect((await grant(user.username, user.password, address)).status).toBe(200);
  }, 30000);

  it('counts IPv6 addresses by their /64, which one subscriber holds whole', async () => {
    const prefix = `2001:db8:${(addresses += 1).toString(16)}:7`;
    for (let i = 1; i <= 12; i += 1) await grant(`sprayed-${i % 3}-${prefix}`, 'wrong-password', `${prefix}::${i.toString(16)}`);
    expect((await grant('anyone', 'wrong-password', `${prefix}:ffff:ffff:ffff:ffff`)).status).toBe(429);
    expect((await grant('anyone', 'wrong-password', `${prefix}1::1`)).status).toBe(400);
  });

  it('announces nothing to the caches: counting failures fires no change-feed trigger', async () => {
    const user = await createUser(t.current);
    await settled(t.current);
    const announced: string[] = [];
    for (const channel of CHANGE_CHANNELS) {
      if (channel !== 'sync') t.current.app.changes.on(channel, (id) => announced.push(`${channel}:${id}`));
    }
    await fail(user.username, 6);
    await settled(t.current);
    expect(announced).toEqual([]);
  });
});

describe('with the default limits (5 failures, then 30 s doubling up to 15 min; 100 failures per address per 15 min)', () => {
  let storage: TestStorage;
  let defaults: TestApp;
  beforeAll(async () => {
    storage = await createTestStorage();
    defaults = await startApp(storage, { TRUST_PROXY: 'loopback' });
    client = await createClient(defaults, [AuthClientGrant.PASSWORD]);
  });
  afterAll(async () => {
    client = mainClient;
    await defaults?.stop();
    await storage?.dispose();
  });

  /** Fires `count` wrong guesses for `username`, 4 at a time; how many passwords were checked, and the answers. */
  async function attack(username: string, from: () => string): Promise<{ checked: number; answers: TokenAnswer[] }> {
    let checked = 0;
    const stop = onSignInEvent((event) => { if (event.outcome !== 'throttled') checked += 1; });
    try {
      const answers = await pool(200, 4, () => grant(username, 'wrong-password', from(), defaults));
      return { checked, answers };
    } finally {
      stop();
    }
  }

  it('checks 5 of 200 wrong guesses, 4 at a time from one address, and then refuses even the right password', async () => {
    const user = await createUser(defaults);
    const address = newAddress();
    const { checked, answers } = await attack(user.username, () => address);
    expect(checked).toBe(5);
    expect(answers.filter((answer) => answer.description === CHECKED_AND_WRONG.description)).toHaveLength(5);
    expect(answers.filter((answer) => answer.description === REFUSED_UNCHECKED.description)).toHaveLength(100 - 5);
    // The address ran into its own limit on the way: 429 with Retry-After, the 15 minutes of its window at most.
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited).toHaveLength(100);
    expect(limited.every((answer) => Number(answer.retryAfter) > 0 && Number(answer.retryAfter) <= 900)).toBe(true);
    // From anywhere else the right password is refused too, unchecked: the username waits 30 s.
    const refused = await grant(user.username, user.password, newAddress(), defaults);
    expect(refused).toMatchObject(REFUSED_UNCHECKED);
    expect(Number(refused.retryAfter)).toBeGreaterThan(25);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(30);
  });

  it('measures: of 200 wrong guesses for one user, 4 at a time, each from another address, 5 are checked', async () => {
    const user = await createUser(defaults);
    const { checked, answers } = await attack(user.username, newAddress);
    // eslint-disable-next-line no-console
    console.log(`brute force: ${checked} of ${answers.length} guesses checked (4 at a time, one user, 200 addresses)`);
    expect(checked).toBe(5);
    expect(answers.filter((answer) => answer.description === REFUSED_UNCHECKED.description)).toHaveLength(195);
  });
});

// Over a whole window, scaled 1/30 so that 30 s stand for 15 minutes (waits of 1 s doubling up to 30 s): about 30 s
// long, so run on demand: BRUTE_FORCE_WINDOW=1 npx jest test/oidc/brute-force.test.ts -t window
(process.env.BRUTE_FORCE_WINDOW ? describe : describe.skip)('over a whole window, scaled 1/30', () => {
  let storage: TestStorage;
  let scaled: TestApp;
  beforeAll(async () => {
    storage = await createTestStorage();
    scaled = await startApp(storage, { TRUST_PROXY: 'loopback', SIGN_IN_LOCK_SECONDS: '1', SIGN_IN_MAX_LOCK_SECONDS: '30' });
    client = await createClient(scaled, [AuthClientGrant.PASSWORD]);
  });
  afterAll(async () => {
    client = mainClient;
    await scaled?.stop();
    await storage?.dispose();
  });

  it('measures: 200 wrong guesses for one user spread over the window, 4 at a time, check at most 10 passwords', async () => {
    const user = await createUser(scaled);
    let checked = 0;
    const stop = onSignInEvent((event) => { if (event.outcome !== 'throttled') checked += 1; });
    const started = Date.now();
    try {
      // Each of the 4 sends one guess every 600 ms: 200 guesses in 30 s.
      await pool(200, 4, async (i) => {
        await sleep(Math.max(0, started + Math.floor(i / 4) * 600 - Date.now()));
        return grant(user.username, 'wrong-password', newAddress(), scaled);
      });
    } finally {
      stop();
    }
    // eslint-disable-next-line no-console
    console.log(`brute force over ${Math.round((Date.now() - started) / 1000)} s (15 min scaled 1/30): ${checked} of 200 guesses checked`);
    expect(checked).toBeLessThanOrEqual(10);
  }, 60000);
});

describe('the sign-in form', () => {
  const signInPage = (browser: FormBrowser) => openSignInPage(browser, t.current, client, REDIRECT);
  const alertOf = (page: Page) => /<p class="alert" role="alert">([^<]*)<\/p>/.exec(page.html)?.[1];

  it('shows one generic message once a username waits, for a user who exists or not, and signs nobody in', async () => {
    const user = await createUser(t.current);
    const seen: Array<Array<[number, string | undefined]>> = [];
    for (const login of [user.username, `nobody-${user.username}`]) {
      const browser = new FormBrowser([REDIRECT], { 'x-forwarded-for': newAddress() });
      let page = await signInPage(browser);
      const answers: Array<[number, string | undefined]> = [];
      for (let i = 0; i < 5; i += 1) {
        page = await browser.submit(page, /\/login$/, { login, password: 'wrong-password' });
        answers.push([page.status, alertOf(page)]);
      }
      page = await browser.submit(page, /\/login$/, { login, password: user.password });
      answers.push([page.status, alertOf(page)]);
      expect(page.url).not.toMatch(/^https:\/\/app\.example\.com/);
      seen.push(answers);
    }
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[0]).toEqual([
      ...Array(5).fill([401, 'The username, email or password is not right.']),
      [429, 'Too many failed sign-in attempts. Wait a few minutes and try again.'],
    ]);
  });

  it('shares the counters with the password grant, and answers an address over its limit with 429 and Retry-After', async () => {
    const user = await createUser(t.current);
    await fail(user.username, 5);
    const address = newAddress();
    const browser = new FormBrowser([REDIRECT], { 'x-forwarded-for': address });
    let page = await signInPage(browser);
    page = await browser.submit(page, /\/login$/, { login: user.username, password: user.password });
    expect(alertOf(page)).toBe('Too many failed sign-in attempts. Wait a few minutes and try again.');

    for (let i = 0; i < 12; i += 1) await grant(`sprayed-${i % 3}-${user.username}`, 'wrong-password', address);
    const other = await createUser(t.current);
    page = await browser.submit(page, /\/login$/, { login: other.username, password: other.password });
    expect(page.status).toBe(429);
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(alertOf(page)).toBe('Too many failed sign-in attempts. Wait a few minutes and try again.');
  });
});

describe('changing one\'s own password', () => {
  const CHANGE = 'mutation($currentPassword: String!, $newPassword: String!) { changeMyPassword(currentPassword: $currentPassword, newPassword: $newPassword) { id } }';

  it('counts a wrong current password as a failed sign-in, and waits as sign-in does', async () => {
    const user = await createUser(t.current);
    const { access_token: token } = await passwordGrant(t.current, client, user);
    const change = (currentPassword: string) => graphql(t.current.url, CHANGE, { currentPassword, newPassword: `Tr0ub4dor-${user.password}-new` }, token);
    for (let i = 0; i < 5; i += 1) {
      expect((await change('wrong-password')).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    }
    const refused = await change(user.password);
    expect(refused.errors?.[0]).toMatchObject({
      message: 'Too many failed sign-in attempts. Wait a few minutes and try again.',
      extensions: { code: 'TOO_MANY_ATTEMPTS', retryAfter: 1 },
    });
    expect(await grant(user.username, user.password)).toMatchObject(REFUSED_UNCHECKED);
  });
});

(serverUrl ? describe : describe.skip)('two instances on one database', () => {
  let other: TestApp;
  beforeAll(async () => { other = await startApp(t.current.storage, LIMITS); });
  afterAll(async () => { await other?.stop(); });

  it('share the counters of a username and of an address', async () => {
    const user: TestUser = await createUser(t.current);
    for (let i = 0; i < 5; i += 1) await grant(user.username, 'wrong-password', newAddress(), i % 2 === 0 ? t.current : other);
    expect(await grant(user.username, user.password, newAddress(), other)).toMatchObject(REFUSED_UNCHECKED);
    expect(await grant(user.username, user.password, newAddress(), t.current)).toMatchObject(REFUSED_UNCHECKED);

    const address = newAddress();
    for (let i = 0; i < 12; i += 1) await grant(`sprayed-${i % 3}-${user.username}`, 'wrong-password', address, i % 2 === 0 ? t.current : other);
    expect((await grant(user.username, user.password, address, other)).status).toBe(429);
    expect((await grant(user.username, user.password, address, t.current)).status).toBe(429);
  });
});

describe('the SIGN_IN_* variables', () => {
  it.each([
    ['SIGN_IN_MAX_FAILURES', '0', 'SIGN_IN_MAX_FAILURES must be a whole number from 1 to 1000, got "0"'],
    ['SIGN_IN_LOCK_SECONDS', '1.5', 'SIGN_IN_LOCK_SECONDS must be a whole number from 1 to 86400, got "1.5"'],
    ['SIGN_IN_MAX_LOCK_SECONDS', '10', 'SIGN_IN_MAX_LOCK_SECONDS must be a whole number from 30 to 86400, got "10"'],
    ['SIGN_IN_IP_MAX_FAILURES', 'many', 'SIGN_IN_IP_MAX_FAILURES must be a whole number from 1 to 1000000, got "many"'],
    ['SIGN_IN_IP_WINDOW_SECONDS', '-1', 'SIGN_IN_IP_WINDOW_SECONDS must be a whole number from 1 to 86400, got "-1"'],
  ])('refuses %s=%s, naming the variable', (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(message);
  });

  it('default to 5 failures, waits of 30 s doubling up to 15 min, and 100 failures per address per 15 min', () => {
    expect(parseConfig({}).signInLimits).toEqual({
      maxFailures: 5, lockSeconds: 30, maxLockSeconds: 900, ipMaxFailures: 100, ipWindowSeconds: 900,
    });
  });
});
