// Baseline for introspection: bare oidc-provider (the installed 9.13.3) in its own process, on plain node:http, with a
// minimal PostgreSQL adapter (one table, jsonb payloads) and one static client allowed client_credentials and
// introspection. Its client_credentials tokens are opaque (no resource indicators) and live in that table.
// Run by bench/run.mjs: PORT=... DATABASE_URL=... CLIENT_ID=... CLIENT_SECRET=... node bench/baselines/oidc-provider.mjs
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import pg from 'pg';

const CLIENT_ID = process.env.CLIENT_ID ?? 'bench-client';
const CLIENT_SECRET = process.env.CLIENT_SECRET ?? 'bench-client-secret-0123456789abcdef';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await pool.query(`create table if not exists oidc_payloads (
  model text not null, id text not null, payload jsonb not null, expires_at timestamptz, consumed_at timestamptz,
  primary key (model, id))`);

class PostgresAdapter {
  constructor(model) {
    this.model = model;
  }

  async upsert(id, payload, expiresIn) {
    await pool.query(
      `insert into oidc_payloads (model, id, payload, expires_at) values ($1, $2, $3, $4)
       on conflict (model, id) do update set payload = excluded.payload, expires_at = excluded.expires_at`,
      [this.model, id, payload, expiresIn ? new Date(Date.now() + expiresIn * 1000) : null],
    );
  }

  async find(id) {
    const { rows } = await pool.query(
      'select payload, consumed_at from oidc_payloads where model = $1 and id = $2 and (expires_at is null or expires_at > now())',
      [this.model, id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
  }

  async findByUid(uid) {
    const { rows } = await pool.query("select id from oidc_payloads where model = $1 and payload->>'uid' = $2", [this.model, uid]);
    return rows[0] ? this.find(rows[0].id) : undefined;
  }

  async findByUserCode(userCode) {
    const { rows } = await pool.query("select id from oidc_payloads where model = $1 and payload->>'userCode' = $2", [this.model, userCode]);
    return rows[0] ? this.find(rows[0].id) : undefined;
  }

  async consume(id) {
    await pool.query('update oidc_payloads set consumed_at = now() where model = $1 and id = $2', [this.model, id]);
  }

  async destroy(id) {
    await pool.query('delete from oidc_payloads where model = $1 and id = $2', [this.model, id]);
  }

  async revokeByGrantId(grantId) {
    await pool.query("delete from oidc_payloads where payload->>'grantId' = $1", [grantId]);
  }
}

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const port = Number(process.env.PORT);
const provider = new Provider(`http://localhost:${port}`, {
  adapter: PostgresAdapter,
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256', // the only key is an EC one
  }],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // As the service: a client may introspect only its own tokens.
    introspection: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
  },
});

const server = createServer(provider.callback());
server.listen(port, '127.0.0.1', () => process.stderr.write('baseline ready\n'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => pool.end().then(() => process.exit(0))));
}
