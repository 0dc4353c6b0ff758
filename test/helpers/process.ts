// Runs the built service or CLI as a separate process, the way people and scripts run them.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
export const CLI = join(root, 'dist', 'bundle', 'cli.js');
export const MAIN = join(root, 'dist', 'bundle', 'main.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a process gets: this machine's, minus anything that would point it at another database. */
export function processEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'APP_KEY', 'PORT', 'PUBLIC_URL', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'NODE_OPTIONS']) delete base[name];
  return { ...base, ...env };
}

/**
 * `node script args`, after `prefix` when given: a command that runs the rest of its arguments, such as
 * `unshare --pid --fork` (as in a container) or a shell script ending in `exec "$@"`.
 */
function nodeCommand(script: string, args: string[], prefix: string[] = []): [string, string[]] {
  const [command, ...rest] = [...prefix, process.execPath, script, ...args];
  return [command!, rest];
}

export function run(script: string, args: string[], env: Record<string, string>, stdin?: string, prefix?: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(...nodeCommand(script, args, prefix), { env: processEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

export const runCli = (args: string[], env: Record<string, string>, stdin?: string) => run(CLI, args, env, stdin);

export interface ServiceProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `node dist/bundle/main.js` (what `npm start` runs) and resolves once it says it is listening; rejects if it exits first. */
export function startService(env: Record<string, string>, timeoutMs = 20_000, prefix?: string[]): Promise<ServiceProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(...nodeCommand(MAIN, [], prefix), { env: processEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((done) => { child.on('close', done); });
    const service: ServiceProcess = {
      child,
      stdout: () => stdout,
      stderr: () => stderr,
      stop: () => {
        child.kill('SIGTERM');
        return exited;
      },
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the service did not start in ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('Auth Clients service started')) {
        clearTimeout(timer);
        resolve(service);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited with ${code}:\n${stderr}`));
    });
  });
}

/** The processes whose parent is `pid`, from /proc (Linux). */
export async function childrenOf(pid: number): Promise<number[]> {
  const children = [];
  for (const entry of await readdir('/proc')) {
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
  }
  return children;
}
