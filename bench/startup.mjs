// Start-up time of the service as a process, first start and restart, on each storage mode, each beside a bare
// baseline measured in the same run: a bare PGlite creating or reopening a data folder, and a bare Node process
// connecting to the PostgreSQL server.
// Run: npm run build && node bench/startup.mjs [runs]   (DATABASE_URL picks the server; default 127.0.0.1:5432)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  appKey, bareConnectScript, bareProcess, build, createDatabase, dropDatabase, median, serverReachable, serverUrl, timeServiceStart,
} from './lib.mjs';

const runs = Number(process.argv[2] ?? 3);

build();

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
  const connect = bareConnectScript();
  for (let i = 0; i < runs; i += 1) {
    bare.push(await bareProcess(connect));
    const env = { DATABASE_URL: await createDatabase('bench'), APP_KEY: appKey() };
    try {
      firsts.push(await timeServiceStart(env));
      restarts.push(await timeServiceStart(env));
    } finally {
      await dropDatabase(env.DATABASE_URL);
    }
  }
  report('server, first start', 'a Node process running select 1', firsts, bare);
  report('server, restart', 'a Node process running select 1', restarts, bare);
} else {
  console.log(`No PostgreSQL server at ${serverUrl}: server mode skipped.`);
}

console.log(`\nStart-up, spawn to "started" log line, ${runs} runs each:`);
console.table(rows);
