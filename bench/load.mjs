// The load generator: wrk (installed from Debian when missing and we are root), else autocannon installed into
// bench/.tools. Both report the same figures: requests/s, p50 and p99 latency, bytes read, and every failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './lib.mjs';

const TOOLS = join(root, 'bench', '.tools');
const AUTOCANNON_VERSION = '9.0.0';

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

function installWrk() {
  const apt = (args) => spawnSync('apt-get', args, {
    stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  }).status === 0;
  console.log('wrk is missing: apt-get install -y wrk');
  if (apt(['install', '-y', '-qq', 'wrk'])) return true;
  return apt(['update', '-qq']) && apt(['install', '-y', '-qq', 'wrk']);
}

function installAutocannon() {
  if (existsSync(join(TOOLS, 'node_modules', 'autocannon', 'package.json'))) return true;
  console.log(`Installing autocannon ${AUTOCANNON_VERSION} into bench/.tools`);
  return spawnSync('npm', ['install', '--prefix', TOOLS, '--no-audit', '--no-fund', '--loglevel=error', `autocannon@${AUTOCANNON_VERSION}`], {
    stdio: 'inherit',
  }).status === 0;
}

/**
 * Picks the load generator: wrk, installing it when we may, else autocannon. BENCH_LOADGEN=wrk|autocannon forces one.
 * Resolves with its name.
 */
export function ensureLoadGenerator() {
  const forced = process.env.BENCH_LOADGEN;
  if (forced !== 'autocannon') {
    if (onPath('wrk')) return 'wrk';
    if (process.getuid?.() === 0 && onPath('apt-get') && installWrk() && onPath('wrk')) return 'wrk';
    if (forced === 'wrk') throw new Error('BENCH_LOADGEN=wrk, but wrk is not installed and could not be');
    console.log('wrk cannot be had here: falling back to autocannon');
  }
  if (!installAutocannon()) throw new Error('Neither wrk nor autocannon could be installed');
  return 'autocannon';
}

/** A Lua long string holding `text` exactly. */
function luaString(text) {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

// wrk's own figures, exact, on one line: durations and latencies in microseconds.
const DONE = `
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH_RESULT %d %d %d %d %d %d %d %d %.1f %.1f\\n",
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/**
 * A wrk script for the request. With `unique`, every request's body has `unique` replaced by a value no other
 * request of the run has: a tag, the thread's number and the thread's request counter.
 */
function wrkScript({ method, headers, body }, unique, tag) {
  let script = `wrk.method = ${luaString(method)}\n`;
  for (const [name, value] of Object.entries(headers)) script += `wrk.headers[ ${luaString(name)} ] = ${luaString(value)}\n`;
  if (body !== undefined && !unique) script += `wrk.body = ${luaString(body)}\n`;
  if (unique) {
    script += `
local template = ${luaString(body)}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local sent = 0
function request()
  sent = sent + 1
  local unique = ${luaString(tag)} .. "-" .. id .. "-" .. sent
  local body = template:gsub(${luaString(unique.replace(/[%^$().[\]*+?-]/g, '%$&'))}, unique)
  return wrk.format(nil, nil, nil, body)
end
`;
  }
  return script + DONE;
}

async function runWrk(req, { connections, threads, seconds, unique, tag }) {
  const dir = await mkdtemp(join(tmpdir(), 'bench-wrk-'));
  try {
    const scriptPath = join(dir, 'request.lua');
    await writeFile(scriptPath, wrkScript(req, unique, tag));
    const args = ['-t', String(Math.min(threads, connections)), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '--latency', '-s', scriptPath, req.url];
    const { code, stdout, stderr } = await new Promise((resolve, reject) => {
      const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk) => { out += chunk; });
      child.stderr.on('data', (chunk) => { err += chunk; });
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }));
    });
    const line = /BENCH_RESULT (.*)/.exec(stdout);
    if (code !== 0 || !line) throw new Error(`wrk failed (${code}): ${stdout}${stderr}`);
    const [duration, requests, bytes, connect, read, write, status, timeout, p50, p99] = line[1].split(' ').map(Number);
    return {
      seconds: duration / 1e6,
      requests,
      rps: requests / (duration / 1e6),
      bytes,
      non2xx: status,
      socketErrors: connect + read + write,
      timeouts: timeout,
      p50Ms: p50 / 1000,
      p99Ms: p99 / 1000,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runAutocannon(req, { connections, seconds, unique, tag }) {
  const autocannon = createRequire(join(TOOLS, 'package.json'))('autocannon');
  const options = {
    url: req.url, method: req.method, headers: req.headers, body: req.body, connections, duration: seconds, timeout: 10,
  };
  if (unique) {
    let sent = 0;
    options.requests = [{
      setupRequest: (request) => {
        sent += 1;
        return { ...request, body: req.body.replace(unique, `${tag}-0-${sent}`) };
      },
    }];
  }
  const result = await autocannon(options);
  const requests = result.requests.total;
  return {
    seconds: result.duration,
    requests,
    rps: requests / result.duration,
    bytes: result.throughput.total,
    non2xx: result.non2xx,
    socketErrors: result.errors - result.timeouts,
    timeouts: result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

/**
 * Puts load on one request for `seconds`. `req` is { url, method, headers, body }. Resolves with requests/s, p50
 * and p99 in ms, bytes read, and the failures: non-2xx answers, socket errors, timeouts.
 */
export function load(generator, req, {
  connections = 50, threads = 2, seconds, unique, tag = 'x',
}) {
  const options = {
    connections, threads, seconds, unique, tag,
  };
  return generator === 'wrk' ? runWrk(req, options) : runAutocannon(req, options);
}
