// Helpers shared by the benches: building, starting the service and baselines as processes, databases on the
// PostgreSQL server, raw HTTP requests for checking answers, and memory and CPU readings from /proc.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export const root = join(import.meta.dirname, '..');
export const MAIN = join(root, 'dist', 'bundle', 'main.js');
export const CLI = join(root, 'dist', 'bundle', 'cli.js');
/** The Node binary for every child (service, CLI, baselines): BENCH_NODE, or the one running the bench. */
export const nodeBin = process.env.BENCH_NODE || process.execPath;
export const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function build() {
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('the build failed');
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The environment a child gets: this machine's, minus anything that would point it at another database. */
export function childEnv(env = {}) {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'APP_KEY', 'PORT', 'PUBLIC_URL', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'NODE_OPTIONS', 'LOG_LEVEL']) {
    delete base[name];
  }
  // Every process as it would be deployed: graphql, for one, checks each instanceof against a second copy of itself
  // unless NODE_ENV is production (the service's bundle never does, scripts/build.mjs), which slowed the Apollo
  // baseline by a fifth or more.
  return { ...base, NODE_ENV: 'production', ...env };
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

const running = new Set();

/** Kills every child still running: on a crash or Ctrl-C, nothing of the bench is left behind. */
export function killAll() {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

function track(child) {
  running.add(child);
  child.on('close', () => running.delete(child));
  return child;
}

/** Runs a script to its end, asynchronously; resolves with its exit code and output. */
export function runNode(args, { env, stdin, cwd = root } = {}) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(nodeBin, args, { cwd, env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** Runs the service's CLI against the given storage; resolves with its --json answer. */
export async function runCli(args, storageEnv) {
  const result = await runNode([CLI, ...args, '--json'], { env: childEnv(storageEnv) });
  if (result.code !== 0) throw new Error(`cli ${args[0]} exited with ${result.code}: ${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** A TCP port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns a Node process serving HTTP and resolves once it is ready: when `readyLine` appears on stderr, or else
 * when GET `readyPath` answers 200. Resolves with { child, pid, port, url, startupMs, stop() }.
 */
export async function startProcess(args, {
  env, port, readyLine, readyPath = '/healthz', timeoutMs = 60_000,
}) {
  const started = performance.now();
  const child = track(spawn(nodeBin, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  let exitCode;
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const closed = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      exitCode = code ?? signal;
      resolve(exitCode);
    });
  });
  const url = port === undefined ? undefined : `http://127.0.0.1:${port}`;

  let startupMs;
  while (startupMs === undefined) {
    if (exitCode !== undefined) throw new Error(`${args.join(' ')} exited with ${exitCode} before it was ready:\n${output}`);
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${args.join(' ')} was not ready in ${timeoutMs} ms:\n${output}`);
    }
    if (readyLine !== undefined) {
      if (output.includes(readyLine)) startupMs = performance.now() - started;
      else await sleep(5);
    } else {
      const status = await httpRequest(`${url}${readyPath}`).then((answer) => answer.status, () => 0);
      if (status === 200) startupMs = performance.now() - started;
      else await sleep(50);
    }
  }

  return {
    child,
    pid: child.pid,
    port,
    url,
    startupMs,
    output: () => output,
    /** SIGTERM, SIGKILL after 15 s; resolves with the exit code (0 for a clean stop). */
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await closed;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Starts the service (`node dist/bundle/main.js`, what npm start runs) with the given storage. With LOG_LEVEL=info (the default here) it
 * is ready at its "started" log line, which also times the start-up; with another level, when /healthz answers.
 */
export async function startService(storageEnv, { logLevel = 'info', port } = {}) {
  const listenOn = port ?? await freePort();
  const env = childEnv({ ...storageEnv, PORT: String(listenOn), LOG_LEVEL: logLevel });
  return startProcess([MAIN], {
    env,
    port: listenOn,
    readyLine: logLevel === 'info' ? 'Auth Clients service started' : undefined,
  });
}

/** Spawns the service; resolves with the ms from spawn to its "started" log line, then stops it. */
export async function timeServiceStart(storageEnv) {
  const service = await startService(storageEnv, { port: 0 });
  const code = await service.stop();
  if (code !== 0) throw new Error(`the service exited with ${code}: ${service.output()}`);
  return service.startupMs;
}

/** Runs a one-off ES module script in a new Node process; resolves with the ms from spawn to exit. */
export async function bareProcess(script) {
  const started = performance.now();
  const result = await runNode(['--input-type=module', '-e', script]);
  if (result.code !== 0) throw new Error(result.stderr);
  return performance.now() - started;
}

/** A new Node process connecting to the PostgreSQL server and running `select 1`: the floor for a server start. */
export const bareConnectScript = (url = serverUrl) => `import pg from 'pg'; const c = new pg.Client({ connectionString: ${JSON.stringify(url)} }); await c.connect(); await c.query('select 1'); await c.end();`;

// ---------------------------------------------------------------------------------------------------------------
// The PostgreSQL server

export async function serverReachable() {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Runs SQL on a database of the server (the one in DATABASE_URL unless a URL is given). */
export async function onServer(sql, params = [], url = serverUrl) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

const databases = new Set();

/** A fresh database on the server, dropped by dropDatabases(); resolves with its URL. */
export async function createDatabase(label = 'bench') {
  const name = `auth_clients_${label}_${randomBytes(4).toString('hex')}`;
  await onServer(`create database "${name}"`);
  databases.add(name);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.href;
}

export async function dropDatabase(url) {
  const name = new URL(url).pathname.slice(1);
  await onServer(`drop database if exists "${name}" with (force)`);
  databases.delete(name);
}

export async function dropDatabases() {
  for (const name of [...databases]) {
    await onServer(`drop database if exists "${name}" with (force)`).catch(() => {});
    databases.delete(name);
  }
}

export const appKey = () => randomBytes(36).toString('base64url');

// ---------------------------------------------------------------------------------------------------------------
// HTTP, for setting up data and checking answers (not for load)

const agent = new Agent({ keepAlive: true });

/**
 * One request over a keep-alive connection, as the load generators send them. Resolves with the status, the parsed
 * JSON body (or the text), and `bytes`: the length of the whole response as it crossed the wire, to compare with
 * what the load generator read per response.
 */
export function httpRequest(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        let head = `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}\r\n`;
        for (let i = 0; i < res.rawHeaders.length; i += 2) head += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
        const chunked = /chunked/i.test(res.headers['transfer-encoding'] ?? '');
        const text = raw.toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({
          status: res.statusCode, json, text, bytes: chunked ? undefined : Buffer.byteLength(head) + 2 + raw.length,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.end(body);
  });
}

export const basicAuth = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A POST of a GraphQL operation: the request a load generator repeats, and a function sending it once. */
export function graphqlRequest(url, query, variables, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const body = JSON.stringify(variables ? { query, variables } : { query });
  return { url: `${url}/graphql`, method: 'POST', headers, body };
}

export const send = (req) => httpRequest(req.url, req);

// ---------------------------------------------------------------------------------------------------------------
// Memory and CPU from /proc

function parentOf(pid) {
  try {
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The pid and every descendant of it, now. */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(entry);
    if (parent === undefined) continue;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(Number(entry));
  }
  const tree = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift();
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** VmRSS of the process and its descendants, in MiB. */
export function treeRssMiB(pid) {
  let kib = 0;
  for (const member of processTree(pid)) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${member}/status`, 'utf8'));
      if (match) kib += Number(match[1]);
    } catch {
      // exited meanwhile
    }
  }
  return kib / 1024;
}

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux we run on

function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) used so far by a process, its threads included. */
export const cpuSeconds = (pid) => cpuSecondsOf(pid)?.seconds ?? 0;

/**
 * A reading of every process's CPU time, to tell afterwards how much CPU processes outside this bench (other
 * people's tests, say) took meanwhile. PostgreSQL's processes are left out: they serve the bench too.
 */
export function cpuSnapshot() {
  const times = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const reading = cpuSecondsOf(entry);
    if (reading) times.set(Number(entry), reading);
  }
  return { at: performance.now(), times };
}

/** Cores used by processes outside this bench and PostgreSQL between two snapshots. */
export function foreignCores(before, after) {
  const ours = new Set(processTree(process.pid));
  let seconds = 0;
  for (const [pid, { name, seconds: now }] of after.times) {
    if (ours.has(pid) || name === 'postgres' || name === 'wrk') continue;
    seconds += now - (before.times.get(pid)?.seconds ?? 0);
  }
  return seconds / ((after.at - before.at) / 1000);
}
