// An acknowledged commit of the embedded database is on disk: the built service's database process calls fsync
// before it answers a commit. Counted with strace on the real processes (skipped where strace is missing): PGlite
// alone makes no sync at all (db/pglite-durable-fs.ts), so this fails if an upgrade changes what that relies on.
import { spawn, spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/app.js';
import { childrenOf, runCli, startService } from '../helpers/process.js';
import { createTestStorage, type TestStorage } from '../helpers/storage.js';

let storage: TestStorage;

beforeEach(async () => {
  storage = await createTestStorage();
});

afterEach(async () => {
  await storage.dispose();
});

const hasStrace = spawnSync('strace', ['-V']).status === 0;
// CI installs strace and sets this: there a missing strace is a failure, not a skip.
if (!hasStrace && process.env.REQUIRE_STRACE) throw new Error('strace is missing: apt-get install -y strace');

(process.env.DATABASE_URL || !hasStrace ? it.skip : it)('syncs the write-ahead log for every commit, before answering it', async () => {
  const trace = join(tmpdir(), `ac-strace-${process.pid}-${Date.now()}.txt`);
  const syncs = async () => (await readFile(trace, 'utf8')).split('\n').filter((line) => /\bf(data)?sync\(\d+\)\s+= 0/.test(line)).length;
  const service = await startService({ ...storage.env, PORT: String(await freePort()) });
  // Traced from now on: the service and its database process, every thread.
  const [database] = await childrenOf(service.child.pid!);
  const strace = spawn('strace', ['-f', '-e', 'trace=fsync,fdatasync', '-e', 'signal=none', '-o', trace, '-p', String(database)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let straceOutput = '';
  await new Promise<void>((resolve) => {
    strace.stderr.on('data', (chunk: Buffer) => {
      straceOutput += chunk.toString();
      if (straceOutput.includes('attached')) resolve();
    });
  });
  try {
    const before = await syncs();
    // Each command commits through the service's database (the CLI joins it).
    for (let n = 0; n < 3; n += 1) {
      const created = await runCli(['client:create', '--name', `Durable ${n}`, '--grant', 'password', '--json'], storage.env);
      expect(created.code).toBe(0);
    }
    // Answered means synced: every commit's sync is in the trace by the time the CLI has its answer.
    expect(await syncs() - before).toBeGreaterThanOrEqual(3);
  } finally {
    strace.kill('SIGINT');
    await new Promise((resolve) => { strace.on('close', resolve); });
    await service.stop();
    await rm(trace, { force: true });
  }
}, 60_000);
