// The benchmarks of issue 7: each case of the service beside a bare baseline measured in the same run, interleaved
// (service, baseline, service, baseline, ...), medians of the rounds, printed as Markdown tables.
// Run: npm run bench [-- --quick] [-- --startup] [-- --rounds N --seconds S] [-- --only 1,7]
//   --quick    1 round of 3 s per figure after a 2 s warm-up (about 2 minutes); the default is 3 rounds of 10 s after 3 s
//   --startup  also runs bench/startup.mjs afterwards (not with --quick)
// Env: DATABASE_URL (the PostgreSQL server; default postgres://postgres@127.0.0.1:5432/postgres), BENCH_NODE (the Node
// binary for the service and the baselines; default the one running this), BENCH_LOADGEN=wrk|autocannon.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  appKey, bareConnectScript, bareProcess, basicAuth, build, childEnv, cpuSeconds, cpuSnapshot, createDatabase,
  dropDatabase, dropDatabases, foreignCores, freePort, graphqlRequest, killAll, median, nodeBin, onServer, root, runCli,
  runNode, send, serverReachable, serverUrl, startProcess, startService, treeRssMiB,
} from './lib.mjs';
import { ensureLoadGenerator, load } from './load.mjs';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    startup: { type: 'boolean' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    only: { type: 'string' },
  },
});
// --only 1,7: just these cases (their set-up still runs), to compare two builds on one case quickly.
const ONLY = flags.only ? new Set(flags.only.split(',').map((id) => id.trim())) : null;
const ROUNDS = Number(flags.rounds ?? (flags.quick ? 1 : 3));
const SECONDS = Number(flags.seconds ?? (flags.quick ? 3 : 10));
const WARMUP_SECONDS = flags.quick ? 2 : 3; // the service is still being optimised by V8 for its first thousand requests or so
const BULK = 100_000;
const SMALL = 100;
const LISTED = 50;
const SEARCH = 'west'; // one name in four has it: some, not most
const ADMIN = { username: 'admin', password: `bench-${randomBytes(9).toString('base64url')}` };

const benchStarted = performance.now();
const foreign = [];
const elapsed = () => `${Math.round((performance.now() - benchStarted) / 1000)} s`;
const log = (message) => process.stderr.write(`[${elapsed()}] ${message}\n`);

process.on('exit', killAll);
process.on('SIGINT', () => {
  killAll();
  void dropDatabases().finally(() => process.exit(130));
});

if (!(await serverReachable())) {
  console.error(`No PostgreSQL server at ${serverUrl}: the benches need one (set DATABASE_URL).`);
  process.exit(1);
}
build();
const generator = ensureLoadGenerator();

// ---------------------------------------------------------------------------------------------------------------
// The service and its data

const storage = {
  async server(label) {
    const url = await createDatabase(label);
    return { DATABASE_URL: url, APP_KEY: appKey(), ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password };
  },
  async embedded() {
    const dir = await mkdtemp(join(tmpdir(), 'bench-embedded-'));
    return { DATA_DIR: dir, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password };
  },
};

async function discard(env) {
  if (env.DATABASE_URL) await dropDatabase(env.DATABASE_URL);
  if (env.DATA_DIR) await rm(env.DATA_DIR, { recursive: true, force: true });
}

const graphql = (service, query, variables, token) => graphqlRequest(service.url, query, variables, token);

const CREATE = 'mutation Create($input: CreateAuthClientInput!) { createAuthClient(input: $input) { authClient { id name } clientSecret } }';
const LIST = 'query List($search: String) { authClients(first: 20, search: $search) { edges { node { id name grants redirectUris createdAt } } totalCount } }';

// Since API scopes (issue 8) a client must be allowed them and a token must hold them; older checkouts know neither.
const API_SCOPES = existsSync(join(root, 'src/access-control/scopes.ts'));
const CLIENT_SCOPES = API_SCOPES ? ['--scope', 'auth_clients:read', '--scope', 'auth_clients:write'] : [];
const TOKEN_SCOPE = API_SCOPES ? 'openid auth_clients:read auth_clients:write' : 'openid';
// Since issue 9 a client may have the client credentials grant; older checkouts skip case 7.
const CLIENT_CREDENTIALS = readFileSync(join(root, 'src/auth-clients/auth-client.entity.ts'), 'utf8').includes('CLIENT_CREDENTIALS');

/** A client_credentials token request (one new token per request), as a machine client sends it. */
function clientCredentialsRequest(tokenUrl, client, scope) {
  return {
    url: tokenUrl,
    method: 'POST',
    headers: { authorization: basicAuth(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
  };
}

function tokenCheck(req) {
  return async () => {
    const answer = await send(req);
    if (answer.status !== 200 || typeof answer.json?.access_token !== 'string') throw new Error(`the token endpoint answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    return answer.bytes;
  };
}

function passwordGrantRequest(service, client) {
  return {
    url: `${service.url}/oidc/token`,
    method: 'POST',
    headers: { authorization: basicAuth(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password', username: ADMIN.username, password: ADMIN.password, scope: TOKEN_SCOPE,
    }).toString(),
  };
}

/**
 * Starts the service on the given storage (LOG_LEVEL=error), makes a client with the password grant through the
 * CLI, and signs the Super Admin in through it.
 */
async function serviceWithAdmin(env) {
  const service = await startService(env, { logLevel: 'error' });
  const created = await runCli(['client:create', '--name', 'Bench password client', '--grant', 'password', ...CLIENT_SCOPES], env);
  const client = { id: created.id, secret: created.secret };
  const answer = await send(passwordGrantRequest(service, client));
  if (answer.status !== 200 || typeof answer.json?.access_token !== 'string') throw new Error(`password grant failed: ${answer.status} ${answer.text}`);
  return {
    service, env, client, token: answer.json.access_token,
  };
}

/** Adds clients through createAuthClient until there are `total`, five requests at a time. */
async function fillThroughGraphql({ service, token }, total) {
  // The bench's password client and the built-in Admin Console client are there already.
  const existing = graphqlData(await send(graphql(service, 'query { authClients(first: 1) { totalCount } }', undefined, token)));
  const names = Array.from({ length: total - existing.authClients.totalCount }, (_, i) => `Bench client ${String(i + 1).padStart(3, '0')}`);
  while (names.length > 0) {
    await Promise.all(names.splice(0, 5).map(async (name) => {
      const answer = await send(graphql(service, CREATE, { input: { name, grants: ['PASSWORD'] } }, token));
      if (answer.status !== 200 || answer.json?.errors) throw new Error(`createAuthClient failed: ${answer.text}`);
    }));
  }
}

/** Adds plain rows until auth_clients holds `total`: names "Bench app 000123 west", one of four directions each. */
async function fillThroughSql(databaseUrl, total) {
  await onServer(`with client as (
      insert into auth_clients (id, name, grants)
      select gen_random_uuid(),
             format('Bench app %s %s', lpad(i::text, 6, '0'), (array['north', 'east', 'south', 'west'])[i % 4 + 1]),
             array['password']
      from generate_series(1, $1::int - (select count(*) from auth_clients)::int) as i
      returning id
    )
    insert into auth_client_secrets (id, client_id, secret_hash, prefix)
    select gen_random_uuid(), id, md5(id::text) || md5(id::text), 'acs_bulk0000' from client`, [total], databaseUrl);
  // As a settled database would be: statistics and the visibility map up to date, no autovacuum pending mid-run.
  await onServer('vacuum (analyze) auth_clients', [], databaseUrl);
  await onServer('vacuum (analyze) auth_client_secrets', [], databaseUrl);
}

// ---------------------------------------------------------------------------------------------------------------
// Checking answers, and timing

function graphqlData(answer) {
  if (answer.status !== 200 || !answer.json || answer.json.errors) throw new Error(`GraphQL answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return answer.json.data;
}

/** The list answers 20 edges and the expected totalCount; resolves with the bytes of a correct response. */
function listCheck(req, totalCount) {
  return async () => {
    const answer = await send(req);
    const list = graphqlData(answer).authClients;
    if (list.edges.length !== 20 || list.totalCount !== totalCount) {
      throw new Error(`the list answered ${list.edges.length} edges and totalCount ${list.totalCount}, not 20 and ${totalCount}`);
    }
    return answer.bytes;
  };
}

function introspectionCheck(req) {
  return async () => {
    const answer = await send(req);
    if (answer.status !== 200 || answer.json?.active !== true) throw new Error(`introspection answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    return answer.bytes;
  };
}

const introspectionRequest = (url, client, token) => ({
  url: `${url}/token/introspection`,
  method: 'POST',
  headers: { authorization: basicAuth(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
});

/**
 * Waits until the process is idle again: requests still queued when the load generator stopped (a slow list at
 * 100,000 clients, the embedded database's single session) must not eat into the next run, the other side's.
 */
async function settle(pid, maxMs = 15_000) {
  const started = performance.now();
  for (;;) {
    const before = cpuSeconds(pid);
    await sleep(250);
    if ((cpuSeconds(pid) - before) / 0.25 < 0.05 || performance.now() - started > maxMs) return;
  }
}

/**
 * One timed run of a load generator against a process. Flags every failure: non-2xx answers, socket errors,
 * timeouts, and responses whose average size differs from a correct answer's (a 200 carrying GraphQL errors, say).
 */
async function timedLoad(pid, req, {
  seconds, connections, expectedBytes, unique, tag,
}) {
  const cpuBefore = cpuSeconds(pid);
  const snapshot = cpuSnapshot();
  const result = await load(generator, req, {
    seconds, connections, unique, tag,
  });
  result.others = foreignCores(snapshot, cpuSnapshot());
  foreign.push(result.others);
  result.cores = (cpuSeconds(pid) - cpuBefore) / result.seconds;
  await settle(pid);
  result.problems = [];
  if (result.requests === 0) result.problems.push('no request completed');
  if (result.non2xx > 0) result.problems.push(`${result.non2xx} non-2xx`);
  if (result.socketErrors > 0) result.problems.push(`${result.socketErrors} socket errors`);
  if (result.timeouts > 0) result.problems.push(`${result.timeouts} timeouts`);
  if (expectedBytes && result.requests > 0) {
    const perResponse = result.bytes / result.requests;
    if (Math.abs(perResponse - expectedBytes) / expectedBytes > 0.03) {
      result.problems.push(`responses averaged ${Math.round(perResponse)} B, a correct one has ${expectedBytes} B`);
    }
  }
  return result;
}

/**
 * A side of a comparison that an HTTP load generator drives: `check` sends the request once, throws unless the
 * answer is right, and resolves with the bytes of a correct response.
 */
function httpSide(pid, req, check, { connections = 50 } = {}) {
  let expectedBytes;
  return {
    pid,
    check: async () => { expectedBytes = await check(); },
    run: (seconds) => timedLoad(pid, req, { seconds, connections, expectedBytes }),
  };
}

const rows = [];

function summarize(results) {
  if (results.length === 0) return undefined;
  const rps = results.map((result) => result.rps);
  return {
    rps: median(rps),
    spread: results.length > 1 ? (Math.max(...rps) - Math.min(...rps)) / median(rps) : undefined,
    p50Ms: median(results.map((result) => result.p50Ms)),
    p99Ms: median(results.map((result) => result.p99Ms)),
    cores: median(results.map((result) => result.cores ?? Number.NaN)),
    others: results.map((result) => result.others).filter((others) => others !== undefined),
    problems: [...new Set(results.flatMap((result) => result.problems))],
  };
}

/**
 * Checks both sides' answers, warms both up, then times them in turn (service, baseline, service, baseline, ...)
 * and checks the service's answer once more. A case that fails is reported as failed, and the others still run.
 */
/**
 * Runs a baseline that times itself (bench/baselines/NAME with `args`, printing one JSON line of figures) and adds the
 * CPU that processes outside the bench took meanwhile.
 */
async function baselineScript(name, args) {
  const snapshot = cpuSnapshot();
  const result = await runNode([join(root, 'bench', 'baselines', name), ...args]);
  if (result.code !== 0) throw new Error(`the baseline ${name} failed: ${result.stderr}`);
  const figures = JSON.parse(result.stdout);
  const others = foreignCores(snapshot, cpuSnapshot());
  foreign.push(others);
  return { ...figures, others };
}

async function compare({
  id, title, unit, service, baseline, baselineLabel, goal,
}) {
  if (ONLY && !ONLY.has(id)) return;
  log(`case ${id}: ${title}`);
  const row = {
    id, title, unit, baselineLabel, goal,
  };
  rows.push(row);
  try {
    await service.check();
    if (baseline) await baseline.check();
    await service.run(WARMUP_SECONDS);
    if (baseline) await baseline.run(WARMUP_SECONDS);
    const serviceResults = [];
    const baselineResults = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      serviceResults.push(await service.run(SECONDS, round));
      if (baseline) baselineResults.push(await baseline.run(SECONDS, round));
    }
    await service.check();
    row.service = summarize(serviceResults);
    row.baseline = summarize(baselineResults);
  } catch (error) {
    row.failed = error.message.split('\n')[0];
    log(`case ${id} failed: ${error.stack}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Idle memory and start-up (run first, on a quiet machine)

const startupRows = [];
if (!ONLY) {
  log('idle RSS and start-up');
  const samples = {
    bare: [], serverFirst: [], serverRestart: [], embeddedFirst: [], embeddedRestart: [],
  };
  const idleRss = async (service) => {
    await sleep(2000);
    return treeRssMiB(service.pid);
  };
  for (let round = 0; round < ROUNDS; round += 1) {
    samples.bare.push({ ms: await bareProcess(bareConnectScript()) });
    for (const mode of ['server', 'embedded']) {
      const env = await storage[mode]('startup');
      try {
        for (const phase of ['First', 'Restart']) {
          const service = await startService(env);
          const rss = await idleRss(service);
          const code = await service.stop();
          if (code !== 0) throw new Error(`the service exited with ${code}: ${service.output()}`);
          samples[`${mode}${phase}`].push({ ms: service.startupMs, rss });
        }
      } finally {
        await discard(env);
      }
    }
  }
  const ms = (key) => median(samples[key].map((sample) => sample.ms));
  const rss = (key) => median(samples[key].map((sample) => sample.rss));
  const bare = ms('bare');
  startupRows.push(
    ['idle RSS, server mode, first start', `${rss('serverFirst').toFixed(0)} MiB`, '', ''],
    ['idle RSS, server mode, restart', `${rss('serverRestart').toFixed(0)} MiB`, '', ''],
    ['idle RSS, embedded, first start', `${rss('embeddedFirst').toFixed(0)} MiB`, '', ''],
    ['idle RSS, embedded, restart', `${rss('embeddedRestart').toFixed(0)} MiB`, '', ''],
    ['start-up, server mode, first start (empty database: migrations, keys, admin)', `${ms('serverFirst').toFixed(0)} ms`, `${bare.toFixed(0)} ms`, `${(ms('serverFirst') / bare).toFixed(1)}x`],
    ['start-up, server mode, restart', `${ms('serverRestart').toFixed(0)} ms`, `${bare.toFixed(0)} ms`, `${(ms('serverRestart') / bare).toFixed(1)}x`],
    ['start-up, embedded, first start', `${ms('embeddedFirst').toFixed(0)} ms`, '–', ''],
    ['start-up, embedded, restart', `${ms('embeddedRestart').toFixed(0)} ms`, '–', ''],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Cases 1, 2, 3 and 6: the service with 50 clients, on the server and embedded, beside the bare baselines

const stoppable = [];
const envs = [];
try {
  log(`setting up: the service on both storage modes with ${LISTED} clients, and the baselines`);
  const serverEnv = await storage.server('server');
  envs.push(serverEnv);
  const server = await serviceWithAdmin(serverEnv);
  stoppable.push(server.service);
  await fillThroughGraphql(server, LISTED);

  const embeddedEnv = await storage.embedded();
  envs.push(embeddedEnv);
  const embedded = await serviceWithAdmin(embeddedEnv);
  stoppable.push(embedded.service);
  await fillThroughGraphql(embedded, LISTED);

  const oidcDatabase = await createDatabase('oidc_baseline');
  envs.push({ DATABASE_URL: oidcDatabase });
  const oidcClient = { id: 'bench-client', secret: randomBytes(32).toString('base64url') };
  const oidcPort = await freePort();
  const oidcBaseline = await startProcess([join(root, 'bench', 'baselines', 'oidc-provider.mjs')], {
    env: childEnv({
      PORT: String(oidcPort), DATABASE_URL: oidcDatabase, CLIENT_ID: oidcClient.id, CLIENT_SECRET: oidcClient.secret,
    }),
    port: oidcPort,
    readyLine: 'baseline ready',
  });
  stoppable.push(oidcBaseline);
  const issued = await send({
    url: `${oidcBaseline.url}/token`,
    method: 'POST',
    headers: { authorization: basicAuth(oidcClient.id, oidcClient.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (issued.status !== 200 || typeof issued.json?.access_token !== 'string') throw new Error(`the baseline issued no token: ${issued.text}`);
  const stored = await onServer('select count(*)::int as n from oidc_payloads where model = $1', ['ClientCredentials'], oidcDatabase);
  if (stored.rows[0].n !== 1) throw new Error('the baseline token is not stored in PostgreSQL');

  const apolloToken = randomBytes(32).toString('base64url');
  const apolloPort = await freePort();
  const apolloBaseline = await startProcess([join(root, 'bench', 'baselines', 'apollo.mjs')], {
    env: childEnv({ PORT: String(apolloPort), BEARER_TOKEN: apolloToken }),
    port: apolloPort,
    readyLine: 'baseline ready',
  });
  stoppable.push(apolloBaseline);

  const introspection = (target) => {
    const req = introspectionRequest(`${target.service.url}/oidc`, target.client, target.token);
    return httpSide(target.service.pid, req, introspectionCheck(req));
  };
  const list = (target) => {
    const req = graphql(target.service, LIST, undefined, target.token);
    return httpSide(target.service.pid, req, listCheck(req, LISTED));
  };
  const oidcReq = introspectionRequest(oidcBaseline.url, oidcClient, issued.json.access_token);
  const apolloReq = graphqlRequest(apolloBaseline.url, LIST, undefined, apolloToken);

  await compare({
    id: '1',
    title: 'Introspection of an opaque access token, client_secret_basic',
    unit: 'introspections/s',
    service: introspection(server),
    baseline: httpSide(oidcBaseline.pid, oidcReq, introspectionCheck(oidcReq)),
    baselineLabel: 'bare oidc-provider, pg adapter',
  });

  await compare({
    id: '2',
    title: `authClients(first: 20) with totalCount, bearer token, ${LISTED} clients`,
    unit: 'req/s',
    service: list(server),
    baseline: httpSide(apolloBaseline.pid, apolloReq, listCheck(apolloReq, LISTED)),
    baselineLabel: 'Apollo 5 + express 5 + graphql-shield, in memory',
  });

  const grantReq = passwordGrantRequest(server.service, server.client);
  await compare({
    id: '3',
    title: 'Password grant at /oidc/token, 4 connections',
    unit: 'grants/s vs verifies/s',
    service: httpSide(server.service.pid, grantReq, async () => {
      const answer = await send(grantReq);
      if (answer.status !== 200 || typeof answer.json?.access_token !== 'string') throw new Error(`the password grant answered ${answer.status}: ${answer.text}`);
      return answer.bytes;
    }, { connections: 4 }),
    baseline: {
      check: async () => {},
      async run(seconds) {
        const figures = await baselineScript('argon2.mjs', [String(seconds), '2']);
        return { ...figures, problems: figures.failures > 0 ? [`${figures.failures} failed verifies`] : [] };
      },
    },
    baselineLabel: 'argon2id verify (m=19456, t=2, p=1), 2 worker threads',
  });

  await compare({
    id: '6a',
    title: 'Embedded mode: introspection (case 1)',
    unit: 'introspections/s',
    service: introspection(embedded),
    baseline: introspection(server),
    baselineLabel: 'server mode, same run',
    goal: 0.5,
  });

  await compare({
    id: '6b',
    title: `Embedded mode: authClients(first: 20), ${LISTED} clients (case 2)`,
    unit: 'req/s',
    service: list(embedded),
    baseline: list(server),
    baselineLabel: 'server mode, same run',
    goal: 0.5,
  });

  // Last of these: its client would add one to the 50 that cases 2 and 6b count.
  if (CLIENT_CREDENTIALS) {
    const created = await runCli(['client:create', '--name', 'Bench machine client', '--grant', 'client_credentials', '--scope', 'auth_clients:read'], serverEnv);
    const machine = { id: created.id, secret: created.secret };
    const serviceReq = clientCredentialsRequest(`${server.service.url}/oidc/token`, machine, 'auth_clients:read');
    // The baseline knows no API scope and would drop it: it is asked for none, and answers the same shape of token.
    const baselineReq = clientCredentialsRequest(`${oidcBaseline.url}/token`, oidcClient);
    await compare({
      id: '7',
      title: 'client_credentials grant at /oidc/token, client_secret_basic, one stored token per request',
      unit: 'tokens/s',
      service: httpSide(server.service.pid, serviceReq, tokenCheck(serviceReq)),
      baseline: httpSide(oidcBaseline.pid, baselineReq, tokenCheck(baselineReq)),
      baselineLabel: 'bare oidc-provider, pg adapter',
      goal: 0.85,
    });
  }
} finally {
  for (const child of stoppable.splice(0)) await child.stop();
  for (const env of envs.splice(0)) await discard(env);
}

// ---------------------------------------------------------------------------------------------------------------
// Case 4: creating clients, 10 connections, each request a new name

try {
  log('setting up: the service for createAuthClient');
  const env = await storage.server('create');
  envs.push(env);
  const target = await serviceWithAdmin(env);
  stoppable.push(target.service);
  const req = graphql(target.service, CREATE, { input: { name: 'Bench load __UNIQUE__', grants: ['PASSWORD'] } }, target.token);
  const count = async () => (await onServer('select count(*)::int as n from auth_clients', [], env.DATABASE_URL)).rows[0].n;
  await compare({
    id: '4',
    title: 'createAuthClient, 10 connections, unique names',
    unit: 'creations/s',
    service: {
      async check() {
        const answer = await send({ ...req, body: req.body.replace('__UNIQUE__', `check ${randomBytes(4).toString('hex')}`) });
        const created = graphqlData(answer).createAuthClient;
        if (!created.authClient.id || !created.clientSecret.startsWith('acs_')) throw new Error(`createAuthClient answered ${answer.text}`);
      },
      async run(seconds, round = 'w') {
        const before = await count();
        const result = await timedLoad(target.service.pid, req, {
          seconds, connections: 10, unique: '__UNIQUE__', tag: `${round}${randomBytes(3).toString('hex')}`,
        });
        // Every completed request must have made a client (a name clash would answer 200 with an error).
        const created = (await count()) - before;
        if (created < result.requests) result.problems.push(`${result.requests - created} of ${result.requests} requests created no client`);
        return result;
      },
    },
    baseline: {
      check: async () => {},
      async run(seconds) {
        const before = await count();
        const figures = await baselineScript('create-sql.mjs', [env.DATABASE_URL, String(seconds), '10']);
        const created = (await count()) - before;
        const problems = created < figures.requests ? [`${figures.requests - created} of ${figures.requests} creations missing`] : [];
        return { ...figures, problems };
      },
    },
    baselineLabel: 'the same statements through pg, 10 connections',
    goal: 1000,
  });
} finally {
  for (const child of stoppable.splice(0)) await child.stop();
  for (const env of envs.splice(0)) await discard(env);
}

// ---------------------------------------------------------------------------------------------------------------
// Case 5: list and search at 100,000 clients, beside the same at 100

if (!ONLY || ONLY.has('5a') || ONLY.has('5b')) try {
  log(`setting up: the service at ${BULK.toLocaleString('en')} clients and at ${SMALL}`);
  const targets = [];
  for (const total of [BULK, SMALL]) {
    const env = await storage.server(total === BULK ? 'bulk' : 'small');
    envs.push(env);
    const target = await serviceWithAdmin(env);
    stoppable.push(target.service);
    await fillThroughSql(env.DATABASE_URL, total);
    const matching = await onServer('select count(*)::int as n from auth_clients where lower(name) like $1', [`%${SEARCH}%`], env.DATABASE_URL);
    targets.push({ ...target, total, matching: matching.rows[0].n });
  }
  const [bulk, small] = targets;
  const side = (target, search) => {
    const req = graphql(target.service, LIST, search ? { search } : undefined, target.token);
    return httpSide(target.service.pid, req, listCheck(req, search ? target.matching : target.total));
  };
  await compare({
    id: '5a',
    title: `authClients(first: 20) with totalCount, ${BULK.toLocaleString('en')} clients`,
    unit: 'req/s',
    service: side(bulk),
    baseline: side(small),
    baselineLabel: `the same at ${SMALL} clients`,
  });
  await compare({
    id: '5b',
    title: `authClients(first: 20, search: "${SEARCH}") with totalCount, ${BULK.toLocaleString('en')} clients (${bulk.matching.toLocaleString('en')} match)`,
    unit: 'req/s',
    service: side(bulk, SEARCH),
    baseline: side(small, SEARCH),
    baselineLabel: `the same at ${SMALL} clients (${small.matching} match)`,
  });
} finally {
  for (const child of stoppable.splice(0)) await child.stop();
  for (const env of envs.splice(0)) await discard(env);
  await dropDatabases();
}

// ---------------------------------------------------------------------------------------------------------------
// The report

const number = (value) => (value >= 100 ? Math.round(value).toLocaleString('en') : value.toFixed(1));
const latency = (side) => (side ? `${side.p50Ms.toFixed(1)} / ${side.p99Ms.toFixed(1)}` : '–');
function figure(side) {
  if (!side) return '–';
  const spread = side.spread === undefined ? '' : ` ±${Math.round((side.spread * 100) / 2)}%`;
  return `${number(side.rps)}${spread}${side.problems.length > 0 ? ' ⚠' : ''}`;
}

function ratioOf(row) {
  if (!row.service) return '–';
  const ratio = row.service.rps / row.baseline.rps;
  if (row.goal === 1000) return `${ratio.toFixed(2)}x; ${(row.service.rps / row.goal).toFixed(2)}x of the goal of 1,000/s`;
  return row.goal ? `${ratio.toFixed(2)}x (goal ≥ ${row.goal}x)` : `${ratio.toFixed(2)}x`;
}

function checkOf(row) {
  if (row.failed) return `⚠ FAILED: ${row.failed}`;
  const problems = [
    ...row.service.problems.map((problem) => `service: ${problem}`),
    ...(row.baseline?.problems ?? []).map((problem) => `baseline: ${problem}`),
  ];
  return problems.length > 0 ? `⚠ ${problems.join('; ')}` : 'ok';
}

// The most CPU that processes outside the bench took during any of the row's timed runs.
function othersOf(row) {
  const readings = [...(row.service?.others ?? []), ...(row.baseline?.others ?? [])];
  return readings.length > 0 ? Math.max(...readings).toFixed(2) : '–';
}

const cpu = (side) => (side && Number.isFinite(side.cores) ? side.cores.toFixed(2) : '–');
const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
const childNode = spawnSync(nodeBin, ['--version']).stdout.toString().trim();
let loadGeneratorVersion = generator;
if (generator === 'wrk') loadGeneratorVersion = spawnSync('wrk', ['--version']).stdout.toString().split('\n')[0].replace(/ Copyright.*/, '').trim() || 'wrk';
const others = foreign.length > 0 ? { mean: foreign.reduce((a, b) => a + b, 0) / foreign.length, max: Math.max(...foreign) } : { mean: 0, max: 0 };
const osRelease = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';

console.log(`
## Benchmarks (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)

Machine: ${cpus().length} × ${cpuModel}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${osRelease}; service and baselines on Node ${childNode};
load: ${loadGeneratorVersion}, ${generator === 'wrk' ? '2 threads' : 'one thread, in the bench process'}, 50 connections unless stated, on the same cores as the service.
${ROUNDS} round${ROUNDS > 1 ? 's' : ''} of ${SECONDS} s per figure after a ${WARMUP_SECONDS} s warm-up, service and baseline in turn; medians${ROUNDS > 1 ? ', ± half the spread between rounds' : ''}.
Ratio = service / baseline (case 5: at ${BULK.toLocaleString('en')} / at ${SMALL}; case 6: embedded / server). ⚠ marks a figure whose run had failures
(non-2xx, socket errors, timeouts, responses of the wrong size, or creations missing from the database); every answer is checked before and after timing.
Case 3's baseline latencies are those of one verify, case 4's of one creation's statements. "others' CPU": the most cores that processes outside this bench and
PostgreSQL (other people's tests, say) took during any of the row's timed runs; above 0.2 the row is suspect.

| # | case (unit) | service | baseline | ratio | p50 / p99 ms, service | p50 / p99 ms, baseline | CPU cores, service / baseline | others' CPU | check |
|---|---|---:|---:|---:|---:|---:|---:|---:|---|`);
for (const row of rows) {
  const baseline = row.baseline ? `${figure(row.baseline)} (${row.baselineLabel})` : row.baselineLabel;
  console.log(`| ${row.id} | ${row.title} (${row.unit}) | ${figure(row.service)} | ${baseline} | ${ratioOf(row)} | ${latency(row.service)} | ${latency(row.baseline)} | ${cpu(row.service)} / ${cpu(row.baseline)} | ${othersOf(row)} | ${checkOf(row)} |`);
}

console.log(`
Idle memory (VmRSS of the process and its children, 2 s after the "started" line, before any request) and start-up
(spawn to the "started" log line); baseline: a new Node process connecting to the server with pg and running select 1.

| measure | service | baseline | ratio |
|---|---:|---:|---:|`);
for (const [measure, service, baseline, ratio] of startupRows) console.log(`| ${measure} | ${service} | ${baseline} | ${ratio} |`);

console.log(`
Processes outside this bench and PostgreSQL used ${others.mean.toFixed(2)} cores on average during the timed runs, at most ${others.max.toFixed(2)}${others.max > 0.2 ? ' (figures may be noisy)' : ''}.
Finished in ${elapsed()}.`);

if (rows.some((row) => row.failed)) process.exitCode = 1;

if (flags.startup && !flags.quick) {
  log('bench/startup.mjs');
  spawnSync(process.execPath, [join(root, 'bench', 'startup.mjs'), String(ROUNDS)], { stdio: 'inherit' });
}
