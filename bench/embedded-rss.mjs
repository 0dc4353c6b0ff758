// Idle memory (VmRSS) and start-up time of the service in embedded mode, on a first start and on a restart,
// counting the service process and every process it keeps running; a server-mode start is measured alongside
// when a PostgreSQL server answers.
// Run: npm run build && node bench/embedded-rss.mjs [idle seconds]   (DATABASE_URL picks the server; default 127.0.0.1:5432)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

const root = join(import.meta.dirname, '..');
const idleMs = Number(process.argv[2] ?? 3) * 1000;
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function status(pid) {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  return {
    ppid: Number(/^PPid:\s+(\d+)/m.exec(text)[1]),
    rssMiB: Number(/^VmRSS:\s+(\d+)/m.exec(text)?.[1] ?? 0) / 1024,
  };
}

/** Proportional set size: shared pages (such as the node binary's) divided among the processes that map them. */
async function pssMiB(pid) {
  return Number(/^Pss:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]) / 1024;
}

/** The process and all its descendants, with their RSS. */
async function tree(pid) {
  const all = new Map();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try { all.set(Number(entry), await status(entry)); } catch { /* exited meanwhile */ }
  }
  const found = [{ pid, ...all.get(pid) }];
  for (let i = 0; i < found.length; i += 1) {
    for (const [child, info] of all) if (info.ppid === found[i].pid) found.push({ pid: child, ...info });
  }
  return found;
}

/** Starts the service, waits for its "started" line and `idleMs`, measures, stops it with SIGTERM. */
function measure(env) {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    for (const name of ['DATABASE_URL', 'DATA_DIR', 'APP_KEY', 'NODE_OPTIONS']) delete base[name];
    const started = performance.now();
    const child = spawn(process.execPath, [join(root, 'dist', 'bundle', 'main.js')], {
      env: { ...base, PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let result;
    child.stderr.on('data', async (chunk) => {
      stderr += chunk;
      if (result || !stderr.includes('Auth Clients service started')) return;
      result = { startMs: Math.round(performance.now() - started) };
      await sleep(idleMs);
      const processes = await tree(child.pid);
      result.processes = processes.length;
      result.serviceMiB = Math.round(processes[0].rssMiB);
      result.helpersMiB = Math.round(processes.slice(1).reduce((sum, p) => sum + p.rssMiB, 0));
      result.totalMiB = result.serviceMiB + result.helpersMiB;
      result.totalPssMiB = Math.round((await Promise.all(processes.map((p) => pssMiB(p.pid)))).reduce((a, b) => a + b, 0));
      result.pids = processes.map((p) => p.pid);
      const stopping = performance.now();
      child.kill('SIGTERM');
      child.on('close', async (code) => {
        result.stopMs = Math.round(performance.now() - stopping);
        result.exitCode = code;
        await sleep(200);
        // Anything of the service's still alive after it exited is an orphan.
        result.leftBehind = (await Promise.all(result.pids.map((pid) => status(pid).then(() => pid, () => undefined))))
          .filter((pid) => pid !== undefined).length;
        delete result.pids;
        resolve(result);
      });
    });
    child.on('close', (code) => { if (!result) reject(new Error(`service exited with ${code}: ${stderr}`)); });
  });
}

const rows = {};
const dir = await mkdtemp(join(tmpdir(), 'bench-rss-'));
try {
  rows['embedded, first start'] = await measure({ DATA_DIR: dir });
  rows['embedded, restart'] = await measure({ DATA_DIR: dir });
} finally {
  await rm(dir, { recursive: true, force: true });
}

const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 2000 });
try {
  await admin.connect();
  const name = `auth_clients_rss_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    rows['server, first start'] = await measure({ DATABASE_URL: url.href, APP_KEY: randomBytes(36).toString('base64url') });
  } finally {
    await admin.query(`drop database if exists "${name}" with (force)`);
  }
} catch (error) {
  console.log(`Server mode skipped: ${error.message}`);
} finally {
  await admin.end().catch(() => {});
}

console.log(`\nIdle RSS ${idleMs / 1000} s after the "started" line (MiB), and the PSS total; start = spawn to that line; stop = SIGTERM to exit:`);
console.table(rows);
