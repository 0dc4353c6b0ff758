// Start-up time of the service as a process, first start and restart, on each storage mode, each beside a bare
// baseline measured in the same run: a bare PGlite creating or reopening a data folder, and a bare Node process
// connecting to the PostgreSQL server.
// Run: npm run build && node bench/startup.mjs [runs]   (DATABASE_URL picks the server; default 127.0.0.1:5432)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

const root = join(import.meta.dirname, '..');
const runs = Number(process.argv[2] ?? 3);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Spawns the service; resolves with the ms from spawn to its "started" log line, then stops it. */
function timeServiceStart(env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const base = { ...process.env };
    for (const name of ['DATABASE_URL', 'DATA_DIR', 'APP_KEY', 'NODE_OPTIONS']) delete base[name];
    const child = spawn(process.execPath, [join(root, 'dist', 'bundle', 'main.mjs')], {
      env: { ...base, PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let elapsed;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (elapsed === undefined && stderr.includes('Auth Clients service started')) {
        elapsed = performance.now() - started;
        child.kill('SIGTERM');
      }
    });
    child.on('close', (code) => {
      if (elapsed !== undefined && code === 0) resolve(elapsed);
      else reject(new Error(`service exited with ${code}: ${stderr}`));
    });
  });
}

async function bareProcess(script) {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: process.env });
  if (result.status !== 0) throw new Error(result.stderr.toString());
  return performance.now() - started;
}

async function serverReachable() {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function onServer(sql) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(sql);
  await client.end();
}

const rows = [];
function report(label, baselineLabel, measured, baseline) {
  rows.push({
    mode: label, 'service (ms, median)': Math.round(median(measured)), baseline: baselineLabel,
    'baseline (ms, median)': Math.round(median(baseline)), ratio: (median(measured) / median(baseline)).toFixed(1),
  });
}

// Embedded: first start on an empty folder, then a restart on it.
{
  const firsts = []; const restarts = []; const bareCreate = []; const bareReopen = [];
  for (let i = 0; i < runs; i += 1) {
    const bare = await mkdtemp(join(tmpdir(), 'bench-pglite-'));
    let started = performance.now();
    let db = new PGlite(join(bare, 'pgdata'));
    await db.waitReady;
    await db.close();
    bareCreate.push(performance.now() - started);
    started = performance.now();
    db = new PGlite(join(bare, 'pgdata'));
    await db.waitReady;
    await db.close();
    bareReopen.push(performance.now() - started);
    await rm(bare, { recursive: true, force: true });

    const dir = await mkdtemp(join(tmpdir(), 'bench-embedded-'));
    firsts.push(await timeServiceStart({ DATA_DIR: dir }));
    restarts.push(await timeServiceStart({ DATA_DIR: dir }));
    await rm(dir, { recursive: true, force: true });
  }
  report('embedded, first start', 'PGlite creating a folder, in-process', firsts, bareCreate);
  report('embedded, restart', 'PGlite reopening it, in-process', restarts, bareReopen);
}

// Server: first start on an empty database, then a restart on it.
if (await serverReachable()) {
  const firsts = []; const restarts = []; const bare = [];
  const connect = `import pg from 'pg'; const c = new pg.Client({ connectionString: ${JSON.stringify(serverUrl)} }); await c.connect(); await c.query('select 1'); await c.end();`;
  for (let i = 0; i < runs; i += 1) {
    bare.push(await bareProcess(connect));
    const name = `auth_clients_bench_${randomBytes(4).toString('hex')}`;
    await onServer(`create database "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const env = { DATABASE_URL: url.href, APP_KEY: randomBytes(36).toString('base64url') };
    try {
      firsts.push(await timeServiceStart(env));
      restarts.push(await timeServiceStart(env));
    } finally {
      await onServer(`drop database if exists "${name}" with (force)`);
    }
  }
  report('server, first start', 'a Node process running select 1', firsts, bare);
  report('server, restart', 'a Node process running select 1', restarts, bare);
} else {
  console.log(`No PostgreSQL server at ${serverUrl}: server mode skipped.`);
}

console.log(`\nStart-up, spawn to "started" log line, ${runs} runs each:`);
console.table(rows);
