// The embedded data folder as the built service finds it after crashes and accidents: a lock left by a dead process
// never blocks a start (whatever pid it names, even the service's own as pid 1 in a container), and a folder whose
// database is incomplete is refused instead of being replaced by a new, empty one.
import {
  access, readFile, rm, unlink, writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../helpers/app.js';
import { MAIN, run, startService } from '../helpers/process.js';
import { createTestStorage, type TestStorage } from '../helpers/storage.js';

let storage: TestStorage;

beforeEach(async () => {
  storage = await createTestStorage();
});

afterEach(async () => {
  await storage.dispose();
});

const embedded = process.env.DATABASE_URL ? describe.skip : describe;
const lockFile = () => join(storage.env.DATA_DIR!, 'embedded.lock');
const withoutWarnings = (stderr: string) => stderr.trim().split('\n').filter((line) => !line.includes('oidc-provider WARNING'));

embedded('a lock left behind does not block the next start', () => {
  it.each([
    // The old lock named a pid; a new process may have that pid (here, this machine's init), alive but unrelated.
    ['naming a reused pid', () => JSON.stringify({ pid: 1, role: 'service', socketDir: storage.env.DATA_DIR })],
    ['naming the parent of this test', () => JSON.stringify({ pid: process.ppid, role: 'service', socketDir: storage.env.DATA_DIR })],
    ['that is empty (a full disk)', () => ''],
    ['that is garbage', () => 'garbage\u0000\u00ff'],
  ])('a lock file %s', async (_case, content) => {
    await writeFile(lockFile(), content());
    const startedAt = Date.now();
    const service = await startService({ ...storage.env, PORT: String(await freePort()) });
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(await service.stop()).toBe(0);
  });

  it('as pid 1 in its own PID namespace (a container), killed and started again', async () => {
    const env = { ...storage.env, PORT: String(await freePort()) };
    // --kill-child: killing unshare kills the service, pid 1 inside, and with it everything in its namespace.
    const container = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child'];
    const first = await startService(env, 20_000, container);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => { first.child.on('close', resolve); });

    const startedAt = Date.now();
    const second = await startService(env, 20_000, container);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    const health = await fetch(`http://localhost:${env.PORT}/healthz`);
    expect(health.status).toBe(200);
    second.child.kill('SIGKILL');
    await new Promise((resolve) => { second.child.on('close', resolve); });
  });

  it('still refuses a second service while the first runs, and leaves nothing behind after a clean stop', async () => {
    const env = { ...storage.env, PORT: String(await freePort()) };
    const service = await startService(env);
    const second = await run(MAIN, [], { ...env, PORT: String(await freePort()) });
    expect(second.code).toBe(1);
    expect(withoutWarnings(second.stderr)).toEqual([expect.stringMatching(/^The data folder .+ is in use by another running service \(pid \d+\); stop it or set another DATA_DIR$/)]);
    expect(await service.stop()).toBe(0);
    // Released on a clean stop: nothing is left behind that the next start has to judge.
    await expect(access(lockFile())).rejects.toThrow();
  });
});

embedded('a data folder whose database is incomplete is refused, with one line, and nothing is created', () => {
  it('PG_VERSION deleted', async () => {
    const pgdata = join(storage.env.DATA_DIR!, 'pgdata');
    await unlink(join(pgdata, 'PG_VERSION'));
    const result = await run(MAIN, [], { ...storage.env, PORT: String(await freePort()) });
    expect(result.code).toBe(1);
    expect(withoutWarnings(result.stderr)).toEqual([
      `The data folder ${storage.env.DATA_DIR} holds an incomplete database (${pgdata} has no PG_VERSION): restore DATA_DIR from a backup, or move pgdata away to start with an empty database`,
    ]);
    expect(result.stdout).not.toContain('Created the Super Admin');
    await expect(access(join(pgdata, 'PG_VERSION'))).rejects.toThrow();
  });

  it('pgdata deleted, its app-key left', async () => {
    const env = { ...storage.env, PORT: String(await freePort()) };
    await (await startService(env)).stop();
    const appKey = await readFile(join(storage.env.DATA_DIR!, 'app-key'), 'utf8');
    await rm(join(storage.env.DATA_DIR!, 'pgdata'), { recursive: true });
    const result = await run(MAIN, [], env);
    expect(result.code).toBe(1);
    expect(withoutWarnings(result.stderr)).toEqual([expect.stringMatching(/^The data folder .+ has lost its database \(.+ is missing or empty, but its app-key is there\): restore DATA_DIR from a backup/)]);
    expect(result.stdout).not.toContain('Created the Super Admin');
    expect(await readFile(join(storage.env.DATA_DIR!, 'app-key'), 'utf8')).toBe(appKey);
  });
});
