// Operations through HTTP: /metrics in Prometheus format after some traffic (behind METRICS_TOKEN here), /readyz and
// /healthz.
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import { createClient, createUser } from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { oauthError, passwordGrant } from '../helpers/oauth.js';

const METRICS_TOKEN = 'metrics-token-for-the-tests-0123456789';
const t = useTestApp({ METRICS_TOKEN });

async function metrics(): Promise<string> {
  const response = await fetch(`${t.current.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample, e.g. value(text, 'auth_clients_tokens_issued_total{grant_type="password"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

it('counts requests by route and outcome, tokens by grant type, sign-in failures, and shows the pool', async () => {
  const client = await createClient(t.current, [AuthClientGrant.PASSWORD]);
  const user = await createUser(t.current, { permissions: ['view-auth_clients'] });
  const before = await metrics();

  const { access_token: token } = await passwordGrant(t.current, client, user);
  expect((await oauthError(passwordGrant(t.current, client, { ...user, password: 'wrong password, surely' }))).error).toBe('invalid_grant');
  expect((await graphql(t.current.url, 'query { authClients(first: 1) { totalCount } }', {}, token)).status).toBe(200);
  expect((await graphql(t.current.url, 'query { viewer { id } }', {}, 'not-a-token')).status).toBe(401);
  await fetch(`${t.current.url}/oidc/interaction/some-uid-${client.id}`);
  await fetch(`${t.current.url}/no/such/${client.id}`);

  const after = await metrics();
  const grew = (sample: string) => (value(after, sample) ?? 0) - (value(before, sample) ?? 0);
  expect(grew('auth_clients_http_requests_total{route="/oidc/token",method="POST",outcome="success"}')).toBe(1);
  expect(grew('auth_clients_http_requests_total{route="/oidc/token",method="POST",outcome="client_error"}')).toBe(1);
  expect(grew('auth_clients_http_requests_total{route="/graphql",method="POST",outcome="success"}')).toBe(1);
  expect(grew('auth_clients_http_requests_total{route="/graphql",method="POST",outcome="client_error"}')).toBe(1);
  expect(grew('auth_clients_http_request_duration_seconds_count{route="/graphql",method="POST",outcome="success"}')).toBe(1);
  expect(grew('auth_clients_tokens_issued_total{grant_type="password"}')).toBe(1);
  expect(grew('auth_clients_sign_in_failures_total{via="password_grant"}')).toBe(1);
  // Paths with ids fall under one label each; no id ever becomes a label.
  expect(grew('auth_clients_http_requests_total{route="/oidc/interaction/:uid",method="GET",outcome="client_error"}')).toBe(1);
  expect(grew('auth_clients_http_requests_total{route="other",method="GET",outcome="client_error"}')).toBe(1);
  expect(after).not.toContain(client.id);
  expect(after).not.toContain(token);
  for (const state of ['in_use', 'idle', 'waiting']) expect(value(after, `auth_clients_db_pool_connections{state="${state}"}`)).toEqual(expect.any(Number));
  expect(after).toContain('auth_clients_process_cpu_seconds_total');
});

it('serves /metrics only with METRICS_TOKEN when one is set', async () => {
  expect((await fetch(`${t.current.url}/metrics`)).status).toBe(401);
  expect((await fetch(`${t.current.url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
  await metrics();
});

it('is live without asking the database, and ready with the database and signing keys', async () => {
  const live = await fetch(`${t.current.url}/healthz`);
  expect(live.status).toBe(200);
  expect(await live.json()).toEqual({ status: 'ok' });
  const ready = await fetch(`${t.current.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready', checks: { shutdown: 'ok', database: 'ok', signingKeys: 'ok' } });
});
