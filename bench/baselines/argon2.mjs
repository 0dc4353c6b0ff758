// Baseline for the password grant: @node-rs/argon2 `verify` of a hash made with the service's parameters
// (src/shared/passwords.ts: argon2id, m=19456 KiB, t=2, p=1), on worker threads, for a fixed time.
// Run by bench/run.mjs: node bench/baselines/argon2.mjs <seconds> [threads]   prints one JSON line.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { hash, verifySync } from '@node-rs/argon2';

const ARGON2ID = 2; // Algorithm.Argon2id, a const enum
const options = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };
const PASSWORD = 'correct horse battery staple';

if (isMainThread) {
  const seconds = Number(process.argv[2] ?? 10);
  const threads = Number(process.argv[3] ?? 2);
  const stored = await hash(PASSWORD, options);
  if (!verifySync(stored, PASSWORD) || verifySync(stored, 'wrong password')) throw new Error('verify does not tell passwords apart');
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const deadline = Date.now() + seconds * 1000;
  const results = await Promise.all(Array.from({ length: threads }, () => new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { stored, deadline } });
    worker.on('message', resolve);
    worker.on('error', reject);
  })));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const durations = results.flatMap((result) => result.durations).sort((a, b) => a - b);
  const failures = results.reduce((sum, result) => sum + result.failures, 0);
  process.stdout.write(`${JSON.stringify({
    seconds: elapsed,
    requests: durations.length,
    rps: durations.length / elapsed,
    failures,
    cores: (cpu.user + cpu.system) / 1e6 / elapsed,
    p50Ms: durations[Math.floor(durations.length * 0.5)],
    p99Ms: durations[Math.min(durations.length - 1, Math.floor(durations.length * 0.99))],
  })}\n`);
} else {
  const { stored, deadline } = workerData;
  const durations = [];
  let failures = 0;
  while (Date.now() < deadline) {
    const started = performance.now();
    if (!verifySync(stored, PASSWORD)) failures += 1;
    durations.push(performance.now() - started);
  }
  parentPort.postMessage({ durations, failures });
}
