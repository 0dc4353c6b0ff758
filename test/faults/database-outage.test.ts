// The database going away is not the caller's fault: while it is stopped or frozen, a valid token gets 503 (never 401,
// never 500; an answer from memory only until the instance notices that it hears nothing), the token endpoint says
// temporarily_unavailable, readiness says not ready, and every answer comes within 5 s; once it is back, the same
// running service serves the same token again. On a PostgreSQL cluster of the test's
// own (REQUIRE_POSTGRES_BINARIES=1, as CI sets, makes missing binaries a failure rather than a skip).
import { randomBytes } from 'node:crypto';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { createClient, createUser, type TestClient, type TestUser } from '../helpers/fixtures.js';
import { passwordGrant } from '../helpers/oauth.js';
import { postgresBinaries, startOwnPostgres, type OwnPostgres } from '../helpers/own-postgres.js';

const bin = postgresBinaries();
if (!bin && process.env.REQUIRE_POSTGRES_BINARIES) throw new Error('initdb is missing: apt-get install -y postgresql');
// eslint-disable-next-line no-console -- says why the tests are skipped
if (!bin) console.warn('Skipping the database outage tests: no PostgreSQL server binaries in /usr/lib/postgresql (apt-get install -y postgresql)');

const LIST = 'query { authClients(first: 1) { totalCount } }';
// What a client waits at most before giving up on an answer; the service must answer well before.
const CLIENT_PATIENCE_MS = 15_000;
const ANSWER_WITHIN_MS = 5_000;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  ms: number;
}

async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(CLIENT_PATIENCE_MS) });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return {
    status: response.status, headers: response.headers, body, ms: performance.now() - started,
  };
}

(bin ? describe : describe.skip)('the database stopped, frozen and back', () => {
  let postgres: OwnPostgres;
  let t: TestApp;
  let client: TestClient;
  let user: TestUser;
  let token: string;

  const list = () => request(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: LIST }),
  });
  const tokenRequest = () => request(`${t.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'password', username: user.username, password: user.password, scope: 'openid',
    }).toString(),
  });
  const jwks = () => request(`${t.issuer}/jwks`);
  const ready = () => request(`${t.url}/readyz`);
  const live = () => request(`${t.url}/healthz`);

  /** The same token works again, once the service has noticed the database is back. */
  async function worksAgain(): Promise<void> {
    const until = Date.now() + 15_000;
    let last: Answer | undefined;
    while (Date.now() < until) {
      last = await list();
      if (last.status === 200) break;
      await new Promise((resolve) => { setTimeout(resolve, 250); });
    }
    expect(last?.status).toBe(200);
    expect(last?.body.data).toEqual({ authClients: { totalCount: expect.any(Number) as number } });
    expect((await ready()).status).toBe(200);
  }

  function expectUnavailable(answers: { graphql: Answer; token: Answer; jwks: Answer; ready: Answer; live: Answer }): void {
    const { graphql, token: tokenAnswer } = answers;
    expect(graphql.status).toBe(503);
    expect((graphql.body.errors as Array<{ extensions: { code: string } }>)[0]?.extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(Number(graphql.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(tokenAnswer.status).toBe(503);
    expect(tokenAnswer.body.error).toBe('temporarily_unavailable');
    expect(Number(tokenAnswer.headers.get('retry-after'))).toBeGreaterThan(0);
    // The keys are served from memory: published as before.
    expect(answers.jwks.status).toBe(200);
    expect(answers.ready.status).toBe(503);
    expect(answers.live.status).toBe(200);
  }

  async function askEverything() {
    const [graphql, tokenAnswer, keys, readiness, liveness] = await Promise.all([list(), tokenRequest(), jwks(), ready(), live()]);
    return {
      graphql, token: tokenAnswer, jwks: keys, ready: readiness, live: liveness,
    };
  }

  beforeAll(async () => {
    postgres = await startOwnPostgres(bin!);
    t = await startApp({
      mode: 'server',
      env: { DATABASE_URL: postgres.url, APP_KEY: randomBytes(36).toString('base64url') },
      dispose: () => Promise.resolve(),
    });
    client = await createClient(t, [AuthClientGrant.PASSWORD]);
    user = await createUser(t, { permissions: ['view-auth_clients'] });
    token = (await passwordGrant(t, client, user)).access_token;
    expect((await list()).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await postgres?.dispose();
  });

  it('stopped: 503 with Retry-After at /graphql and /oidc/token, keys still published, not ready; then back without a restart', async () => {
    await postgres.stop();
    let answers;
    let signInPage: Answer;
    try {
      answers = await askEverything();
      signInPage = await request(`${t.issuer}/auth?${new URLSearchParams({
        client_id: client.id, response_type: 'code', scope: 'openid', redirect_uri: 'https://app.example.com/callback',
      }).toString()}`, { headers: { accept: 'text/html' } });
    } finally {
      await postgres.start();
    }
    expectUnavailable(answers);
    expect(signInPage.status).toBe(503);
    expect(signInPage.headers.get('content-type')).toMatch(/^text\/html/);
    expect(String(signInPage.body.text)).toContain('Try again in a moment');
    await worksAgain();
  }, 40_000);

  it('frozen: every answer within 5 s, none a 401 or a 500, nothing from memory once noticed; then back without a restart', async () => {
    await postgres.freeze();
    let first;
    let noticed;
    let answers;
    try {
      // At once: /graphql may still be answered from memory (nothing can change in a database that answers nobody).
      first = await askEverything();
      // A server that answers nothing, its connections left open, is noticed within about 3 s (the change feed's
      // heartbeat): from then on the instance answers nothing from memory, as if another instance could still reach
      // the database and change what it had kept.
      const until = Date.now() + 10_000;
      while (t.app.changes.live && Date.now() < until) await new Promise((resolve) => { setTimeout(resolve, 100); });
      noticed = !t.app.changes.live;
      // Again, now that connections are stuck in the pool.
      answers = await askEverything();
      for (const answer of [...Object.values(first), ...Object.values(answers)]) expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
    } finally {
      await postgres.thaw();
    }
    expect([200, 503]).toContain(first.graphql.status);
    expect(first.token.status).toBe(503);
    expect(first.ready.status).toBe(503);
    expect(noticed).toBe(true);
    expectUnavailable(answers);
    await worksAgain();
  }, 60_000);
});
