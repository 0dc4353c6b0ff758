// The service as a process refusing to start because of where its data is: one line on stderr that names the cause
// and the fix, no stack and no minified code, and a non-zero exit code.
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './helpers/app.js';
import { MAIN, run } from './helpers/process.js';
import { createTestStorage, serverUrl, type TestStorage } from './helpers/storage.js';

let storage: TestStorage;

beforeEach(async () => {
  storage = await createTestStorage();
});

afterEach(async () => {
  await storage.dispose();
});

const APP_KEY = randomBytes(36).toString('base64url');

/** Runs the service (after `prefix`, if any) and expects it to exit non-zero with exactly one line on stderr. */
async function refusal(env: Record<string, string>, prefix?: string[]): Promise<string> {
  const result = await run(MAIN, [], { PORT: String(await freePort()), ...env }, undefined, prefix);
  const lines = result.stderr.trim().split('\n').filter((line) => !line.includes('oidc-provider WARNING'));
  expect({ code: result.code, lines: lines.length }).toEqual({ code: 1, lines: 1 });
  expect(result.stdout).not.toContain('Created the Super Admin');
  return lines[0]!;
}

/** A shell script run in a private mount namespace before the service, which it then execs. */
const inMountNamespace = (script: string) => ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${script} && exec "$@"`, 'sh'];

const embedded = process.env.DATABASE_URL ? describe.skip : describe;

embedded('embedded data folder', () => {
  it('on a read-only file system', async () => {
    const dataDir = storage.env.DATA_DIR!;
    const line = await refusal(storage.env, inMountNamespace(`mount --bind ${dataDir} ${dataDir} && mount -o remount,bind,ro ${dataDir}`));
    expect(line).toBe(`The data folder ${dataDir} is on a read-only file system: make it writable, or set DATA_DIR to a writable folder`);
  });

  it('on a full disk, at the first start', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ac-full-'));
    try {
      const line = await refusal({ DATA_DIR: dataDir }, inMountNamespace(`mount -t tmpfs -o size=4m tmpfs ${dataDir}`));
      expect(line).toBe(`The data folder ${dataDir} is full (no space left on device): free some space, or move DATA_DIR to a larger disk`);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a file where the folder should be', async () => {
    const file = join(storage.env.DATA_DIR!, 'not-a-folder');
    await writeFile(file, 'x');
    expect(await refusal({ DATA_DIR: file })).toBe(`DATA_DIR ${file} is not a folder (something else has that name): set DATA_DIR to a folder`);
  });

  it.each([
    ['garbage in the write-ahead log', async (pgdata: string) => {
      const segment = await open(join(pgdata, 'pg_wal', '000000010000000000000001'), 'r+');
      await segment.write(randomBytes(64 * 1024), 0, 64 * 1024, 0);
      await segment.close();
    }, /^The database in .+ is damaged \(could not locate a valid checkpoint record.*\): restore DATA_DIR from a backup$/],
    ['an emptied write-ahead log', async (pgdata: string) => {
      await writeFile(join(pgdata, 'pg_wal', '000000010000000000000001'), '');
    }, /^The database in .+ is damaged \(could not locate a valid checkpoint record.*\): restore DATA_DIR from a backup$/],
    ['a missing control file', async (pgdata: string) => {
      await rm(join(pgdata, 'global', 'pg_control'));
    }, /^The database in .+ is damaged \(could not open file "global\/pg_control": No such file or directory\): restore DATA_DIR from a backup$/],
  ])('damaged: %s', async (_case, damage, message) => {
    await damage(join(storage.env.DATA_DIR!, 'pgdata'));
    expect(await refusal(storage.env)).toMatch(message);
  });

  it('copied while in use is still opened (a lock file copied along is not a holder)', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'ac-copy-'));
    try {
      await cp(storage.env.DATA_DIR!, copy, { recursive: true });
      await writeFile(join(copy, 'embedded.lock'), JSON.stringify({ pid: process.pid, role: 'service' }));
      const result = await run(join(MAIN, '..', 'cli.js'), ['client:list', '--json'], { DATA_DIR: copy });
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});

describe('database server (DATABASE_URL)', () => {
  it('nothing listening on the port', async () => {
    const port = await freePort();
    expect(await refusal({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/db`, APP_KEY }))
      .toBe(`Cannot reach the database server at 127.0.0.1:${port} (DATABASE_URL): connection refused; start PostgreSQL there, or correct DATABASE_URL`);
  });

  it('a host that does not exist', async () => {
    expect(await refusal({ DATABASE_URL: 'postgres://postgres@no-such-host.invalid:5432/db', APP_KEY }))
      .toBe('Cannot reach the database server at no-such-host.invalid:5432 (DATABASE_URL): no such host; correct the host in DATABASE_URL');
  });

  (serverUrl ? it : it.skip)('a user the server does not know (its password is never shown)', async () => {
    const url = new URL(serverUrl!);
    url.username = `nobody_${randomBytes(4).toString('hex')}`;
    url.password = 'secret-password-123';
    const line = await refusal({ DATABASE_URL: url.href, APP_KEY });
    expect(line).toMatch(new RegExp(`^The database server at ${url.hostname}:${url.port || 5432} refused the login \\(.*${url.username}.*\\): correct the user or password in DATABASE_URL$`));
    expect(line).not.toContain('secret-password-123');
  });

  (serverUrl ? it : it.skip)('a database that does not exist', async () => {
    const url = new URL(serverUrl!);
    url.pathname = `/missing_${randomBytes(6).toString('hex')}`;
    expect(await refusal({ DATABASE_URL: url.href, APP_KEY }))
      .toBe(`The database "${url.pathname.slice(1)}" does not exist on ${url.hostname}:${url.port || 5432}: create it (createdb), or correct DATABASE_URL`);
  });
});
