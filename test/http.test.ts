// The HTTP surface as a client meets it: discovery, health, and errors that never carry a stack, SQL or a 500.
import { createFormatError } from '../src/graphql/format-error.js';
import { ValidationFailed } from '../src/shared/errors.js';
import { useTestApp } from './helpers/app.js';
import { graphql } from './helpers/graphql.js';

const t = useTestApp();

it('publishes OIDC discovery under /oidc: the code flow and the password grant, no implicit flow', async () => {
  const discovery = await (await fetch(`${t.current.url}/oidc/.well-known/openid-configuration`)).json() as Record<string, unknown>;
  expect(discovery).toMatchObject({
    issuer: `${t.current.url}/oidc`,
    token_endpoint: `${t.current.url}/oidc/token`,
    jwks_uri: `${t.current.url}/oidc/jwks`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    // none: public clients (browser and native apps), which have no secret.
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint: `${t.current.url}/oidc/token/revocation`,
    introspection_endpoint: `${t.current.url}/oidc/token/introspection`,
  });
  expect(discovery.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'password']));
  expect(discovery.grant_types_supported).not.toContain('implicit');
  const jwks = await (await fetch(`${t.current.url}/oidc/jwks`)).json() as { keys: Array<Record<string, unknown>> };
  expect(jwks.keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
  for (const key of jwks.keys) expect(key).not.toHaveProperty('d'); // public halves only
});

it('answers /healthz with 200 and unknown paths with a JSON 404', async () => {
  expect((await fetch(`${t.current.url}/healthz`)).status).toBe(200);
  const missing = await fetch(`${t.current.url}/nothing-here`);
  expect({ status: missing.status, body: await missing.json() }).toEqual({ status: 404, body: { error: 'not_found' } });
});

it('answers malformed JSON to /graphql with a 400 and no stack', async () => {
  const response = await fetch(`${t.current.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
  expect(response.status).toBe(400);
  expect(await response.text()).not.toMatch(/\bat \w|node_modules|SyntaxError/);
});

it('answers a GraphQL syntax error and an unknown field with their codes, and no stack', async () => {
  const syntax = await graphql(t.current.url, '{ authClients { ');
  expect(syntax.errors?.[0]?.extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
  const unknown = await graphql(t.current.url, '{ secrets }');
  expect(unknown.errors?.[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
});

it('serves the GraphQL playground to a browser', async () => {
  const response = await fetch(`${t.current.url}/graphql`, { headers: { accept: 'text/html' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/text\/html/);
});

it('shows an OAuth error page without internals for a bad authorization request', async () => {
  const response = await fetch(`${t.current.url}/oidc/auth?client_id=unknown&response_type=code&scope=openid`);
  expect(response.status).toBe(400);
  const page = await response.text();
  expect(page).toContain('invalid_client');
  expect(page).not.toMatch(/\bat \w+ \(|node_modules/);
});

describe('formatError', () => {
  const logged: Array<Record<string, unknown> | undefined> = [];
  const formatError = createFormatError({ info: () => {}, error: (_message, details) => { logged.push(details); } });

  it('turns anything unexpected into a generic INTERNAL_SERVER_ERROR, and logs its class and codes, never its message', () => {
    const leak = Object.assign(new Error('insert into "auth_clients" values (\'secret-hash\') - duplicate key value violates unique constraint'), {
      code: '23505', constraint: 'auth_clients_name_lower_unique', detail: 'Key (lower(name))=(secret-name) already exists.',
    });
    const formatted = formatError({ message: leak.message, path: ['createAuthClient'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } }, leak);
    expect(formatted).toEqual({ message: 'Internal server error', path: ['createAuthClient'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logged.at(-1)).toMatchObject({
      path: 'createAuthClient', errorClass: 'Error', code: '23505', constraint: 'auth_clients_name_lower_unique', stack: expect.any(Array),
    });
    expect(JSON.stringify(logged.at(-1))).not.toMatch(/insert into|secret-hash|secret-name|duplicate key/);
  });

  it('passes domain errors with their code and field', () => {
    const error = ValidationFailed.of('name', 'An auth client named "X" already exists');
    expect(formatError({ message: 'ignored' }, error)).toEqual({ message: 'An auth client named "X" already exists', extensions: { code: 'BAD_USER_INPUT', field: 'name' } });
  });
});
