// Baseline for createAuthClient (case 4): the statements the service sends for one creation, straight through `pg`
// on N connections for a fixed time, against the service's own database: the client, its secret and its audit event
// in one statement (src/auth-clients/auth-client.service.ts `create`, whose text this copies; the service then waits
// for that statement's own notifications, not for a sync marker). What is left of the service's time is its HTTP,
// GraphQL, authorisation and pool work. Each creation makes its id, a secret and its keyed hash, as the service does.
// Run by bench/run.mjs: node bench/baselines/create-sql.mjs <database url> <seconds> [connections]   prints one JSON line.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';

const [url, secondsArg, connectionsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 10);
const connections = Number(connectionsArg ?? 10);
const key = randomBytes(32);
const tag = randomBytes(4).toString('hex');

const CREATE = `with client as (
    insert into auth_clients (id, name, grants, redirect_uris, scopes, created_by_id, skip_consent, access_token_lifetime, refresh_token_lifetime, confidential)
    values ($19, $1, $2, $3, $4, $7, $8, $9, $10, $11)
    on conflict ((lower(name))) do nothing
    returning id, name, grants, redirect_uris as "redirectUris", scopes, created_at as "createdAt", updated_at as "updatedAt",
      enabled, skip_consent as "skipConsent", access_token_lifetime as "accessTokenLifetime", refresh_token_lifetime as "refreshTokenLifetime",
      last_used_at as "lastUsedAt", created_by_id as "createdById", confidential, built_in as "builtIn"
  ), secret as (
    insert into auth_client_secrets (id, client_id, secret_hash, prefix)
    select gen_random_uuid(), id, $5, $6 from client where client.confidential
    returning *
  ), audited as (insert into audit_events (actor_type, actor_id, action, target_type, target_id, ip, user_agent, changes)
    select $12, $13, $14, $15, client.id::text, $16, $17, $18::jsonb from client)
  select client.*, (select coalesce(json_agg(json_build_object('id', secret.id, 'prefix', secret.prefix, 'createdAt', secret.created_at,
    'expiresAt', secret.expires_at, 'lastUsedAt', secret.last_used_at)), '[]') from secret) as "secrets" from client`;

const clients = await Promise.all(Array.from({ length: connections }, async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}));
const creator = (await clients[0].query('select id from users order by created_at limit 1')).rows[0]?.id ?? null;

let sequence = 0;
async function createOne(client) {
  sequence += 1;
  const name = `Bench sql ${tag} ${sequence}`;
  const secret = `acs_${randomBytes(32).toString('base64url')}`;
  const changes = {
    name: { after: name, before: null }, grants: { after: ['password'], before: null }, scopes: { after: [], before: null },
    skipConsent: { after: false, before: null }, confidential: { after: true, before: null }, redirectUris: { after: [], before: null },
    accessTokenLifetime: { after: 3600, before: null }, refreshTokenLifetime: { after: 2592000, before: null },
  };
  const { rows } = await client.query({
    name: 'create',
    text: CREATE,
    values: [
      name, ['password'], [], [], createHmac('sha256', key).update(secret).digest('base64url'), secret.slice(0, 10), creator, false, 3600,
      2592000, true, 'user', creator, 'auth_client.created', 'auth_client', '127.0.0.1', null, JSON.stringify(changes), randomUUID(),
    ],
  });
  if (rows.length !== 1) throw new Error(`no client was created for ${name}`);
}

const durations = [];
const started = performance.now();
const cpuBefore = process.cpuUsage();
const deadline = started + seconds * 1000;
await Promise.all(clients.map(async (client) => {
  while (performance.now() < deadline) {
    const begun = performance.now();
    await createOne(client);
    durations.push(performance.now() - begun);
  }
}));
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
await Promise.all(clients.map((client) => client.end()));
durations.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({
  seconds: elapsed,
  requests: durations.length,
  rps: durations.length / elapsed,
  failures: 0,
  cores: (cpu.user + cpu.system) / 1e6 / elapsed,
  p50Ms: durations[Math.floor(durations.length * 0.5)],
  p99Ms: durations[Math.min(durations.length - 1, Math.floor(durations.length * 0.99))],
})}\n`);
