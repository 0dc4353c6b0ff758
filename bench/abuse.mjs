// The GraphQL cost attack of issue 11, timed against the built service (dist/bundle/main.js; `npm run build` first),
// NODE_ENV=production, embedded database: how long the refusal of 1,000 aliases takes, and /healthz latency while it
// is sent back to back (and the same for 249 identical fields, which stay under the token limit).
// Run: node bench/abuse.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'limits-timing-'));
const port = 4700 + Math.floor(Math.random() * 200);
const url = `http://127.0.0.1:${port}`;
const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), NODE_ENV: 'production', LOG_LEVEL: 'info', ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'violet ostrich umbrella 42' };
delete env.DATABASE_URL; delete env.NODE_OPTIONS;
const service = spawn(process.execPath, [join(root, 'dist/bundle/main.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
await new Promise((resolve, reject) => {
  service.stderr.on('data', (chunk) => { stderr += chunk; if (stderr.includes('Auth Clients service started')) resolve(); });
  service.on('exit', () => reject(new Error(stderr)));
  setTimeout(() => reject(new Error('no start')), 30000);
});
const cli = (args) => new Promise((resolve) => {
  const child = spawn(process.execPath, [join(root, 'dist/bundle/cli.js'), ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = ''; child.stdout.on('data', (c) => { out += c; }); child.on('close', () => resolve(JSON.parse(out)));
});
const client = await cli(['client:create', '--name', 'bench', '--grant', 'password', '--scope', 'auth_clients:read', '--json']);
const id = client.client_id ?? client.clientId ?? client.authClient?.id ?? client.id;
const secret = client.secret;
const grant = await fetch(`${url}/oidc/token`, {
  method: 'POST',
  headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: env.ADMIN_PASSWORD, scope: 'auth_clients:read' }),
}).then((r) => r.json());
const token = grant.access_token;
if (!token) throw new Error(JSON.stringify({ client, grant }));

const aliases = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: authClients(first: 100) { totalCount }`).join(' ')} }`;
let variant = 0;
// A different text each time (a comment), so Apollo cannot reuse a validated document.
const identical = () => `{ ${Array.from({ length: 249 }, () => 'authClients { totalCount }').join(' ')} } # ${variant += 1}`;
const send = async (queryOrMake) => {
  const query = typeof queryOrMake === 'function' ? queryOrMake() : queryOrMake;
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
  const body = await response.json();
  return { ms: performance.now() - started, status: response.status, code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message };
};
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
  return `n=${sorted.length} median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${sorted.at(-1).toFixed(1)} ms`;
};
const healthz = async () => { const started = performance.now(); await (await fetch(`${url}/healthz`)).text(); return performance.now() - started; };

for (const [name, query] of [['1,000 aliases', aliases], ['249 identical fields (under the token limit)', identical]]) {
  console.log(`${name}: ${(typeof query === 'function' ? query() : query).length} bytes; answer:`, JSON.stringify(await send(query)));
  for (let i = 0; i < 20; i += 1) await send(query); // warm-up
  const times = [];
  for (let i = 0; i < 200; i += 1) times.push((await send(query)).ms);
  console.log(`  sequential round trips: ${stats(times)}`);
  for (const connections of [1, 4]) {
    // /healthz while `connections` clients send it back to back, for 5 s
    let stop = false; let sent = 0;
    const loops = Array.from({ length: connections }, async () => { while (!stop) { await send(query); sent += 1; } });
    const health = [];
    const until = Date.now() + 5000;
    while (Date.now() < until) { health.push(await healthz()); await new Promise((r) => setTimeout(r, 20)); }
    stop = true; await Promise.all(loops);
    console.log(`  /healthz while ${connections} client(s) send it back to back: ${stats(health)} (${sent} attack requests in 5 s)`);
  }
}
const idle = []; for (let i = 0; i < 100; i += 1) idle.push(await healthz());
console.log(`/healthz idle: ${stats(idle)}`);
service.kill('SIGTERM');
await new Promise((r) => service.on('exit', r));
rmSync(dataDir, { recursive: true, force: true });
