// A PostgreSQL cluster of a test's own, on a free port, that the test may stop, freeze and start again: never the shared
// server at 5432. Debian's binaries (/usr/lib/postgresql/<version>/bin), run as the postgres user when we are root.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './app.js';

const exec = promisify(execFile);

/** The newest installed server's bin folder, or undefined when there is none. */
export function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((name) => existsSync(join(root, name, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

export interface OwnPostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP (or SIGCONT) the postmaster and every backend: a database that accepts connections and answers nothing. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startOwnPostgres(bin: string): Promise<OwnPostgres> {
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'ac-own-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const { stdout } = await exec('id', ['-u', 'postgres']);
    const { stdout: gid } = await exec('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  // Arguments are ours (a temp path, a port): quoting them for su's shell is enough.
  const run = (tool: string, args: string[]) => (asRoot
    ? exec('su', ['postgres', '-s', '/bin/sh', '-c', [join(bin, tool), ...args].map((arg) => `'${arg}'`).join(' ')])
    : exec(join(bin, tool), args));
  const port = await freePort();
  await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = async () => {
    await run('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  };
  const pids = async () => {
    const postmaster = (await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]!.trim();
    const { stdout } = await exec('ps', ['-o', 'pid=', '--ppid', postmaster]).catch(() => ({ stdout: '' }));
    return [postmaster, ...stdout.split('\n').map((line) => line.trim()).filter(Boolean)];
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => { await run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']); },
    start,
    freeze: async () => { await exec('kill', ['-STOP', ...await pids()]); },
    thaw: async () => { await exec('kill', ['-CONT', ...await pids()]); },
    dispose: async () => {
      await run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
