// The Admin Console client: there after the first start, kept in step with PUBLIC_URL across restarts on one database,
// brought back when missing, and a public client that a real Authorization Code + PKCE flow signs in through.
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import {
  ADMIN_CONSOLE_NAME, ADMIN_CONSOLE_SCOPE, adminConsoleRedirectUris,
} from '../../src/auth-clients/admin-console.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { FormBrowser } from '../helpers/browser.js';
import { createUser } from '../helpers/fixtures.js';
import { graphql } from '../helpers/graphql.js';
import { oidc } from '../helpers/oauth.js';
import { createTestStorage, type TestStorage } from '../helpers/storage.js';

let storage: TestStorage;
let t: TestApp;

beforeAll(async () => {
  storage = await createTestStorage();
  t = await startApp(storage);
});
afterAll(async () => {
  await t?.stop();
  await storage?.dispose();
});

interface Row {
  id: string; name: string; grants: string[]; redirect_uris: string[]; scopes: string[]; confidential: boolean; skip_consent: boolean; enabled: boolean;
}
const consoleRows = async (app: TestApp) => app.em().execute<Row[]>(
  "select id, name, grants, redirect_uris, scopes, confidential, skip_consent, enabled from auth_clients where built_in = 'admin_console'",
);

it('exists after the first start: public, code flow only, no consent, every API scope, the two callbacks', async () => {
  const uris = adminConsoleRedirectUris(t.url);
  expect(uris).toEqual({ console: `${t.url}/console/callback`, playground: `${t.url}/graphql/callback` });
  expect(ADMIN_CONSOLE_SCOPE).toBe(`openid profile email ${API_SCOPE_NAMES.join(' ')}`);
  expect(await consoleRows(t)).toEqual([{
    id: t.app.adminConsole.clientId,
    name: ADMIN_CONSOLE_NAME,
    grants: ['authorization_code'],
    redirect_uris: [uris.console, uris.playground],
    scopes: API_SCOPE_NAMES,
    confidential: false,
    skip_consent: true,
    enabled: true,
  }]);
  const { count } = (await t.em().execute<Array<{ count: number }>>(
    'select count(*)::int as count from auth_client_secrets where client_id = ?', [t.app.adminConsole.clientId],
  ))[0]!;
  expect(count).toBe(0);
  const client = (await t.app.provider.Client.find(t.app.adminConsole.clientId))!;
  expect(client.metadata()).toMatchObject({
    token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], post_logout_redirect_uris: [uris.console, uris.playground],
  });
  expect(client.metadata()).not.toHaveProperty('client_secret');
});

it('signs a user in with Authorization Code + PKCE and no secret, and its tokens work at /graphql', async () => {
  const user = await createUser(t, { permissions: ['view-auth_clients'] });
  const uris = adminConsoleRedirectUris(t.url);
  const config = await oidc.discovery(new URL(t.issuer), t.app.adminConsole.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const browser = new FormBrowser([uris.console]);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: uris.console, scope: ADMIN_CONSOLE_SCOPE, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state,
  });
  const signInPage = await browser.open(url.href);
  // skipConsent: straight back to the console after signing in, no consent page.
  const back = await browser.submit(signInPage, /\/login$/, { login: user.username, password: user.password });
  expect(back.url.startsWith(`${uris.console}?`)).toBe(true);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(back.url), { pkceCodeVerifier: verifier, expectedState: state });
  expect(tokens.scope?.split(' ')).toEqual(expect.arrayContaining(API_SCOPE_NAMES));

  const list = await graphql<{ authClients: { totalCount: number } }>(t.url, '{ authClients(first: 5) { totalCount } }', {}, tokens.access_token);
  expect(list.errors).toBeUndefined();
  expect(list.data?.authClients.totalCount).toBeGreaterThanOrEqual(1);

  // The code was bound to the verifier: the same flow without PKCE is refused.
  const noPkce = oidc.buildAuthorizationUrl(config, { redirect_uri: uris.console, scope: 'openid', state });
  const refused = await browser.open(noPkce.href);
  expect(new URL(refused.url).searchParams.get('error')).toBe('invalid_request');
});

it('is kept in step when PUBLIC_URL changes, and brought back when it is gone', async () => {
  const { clientId } = t.app.adminConsole;
  await t.stop();
  const moved = 'https://console.example.com/auth';
  t = await startApp(storage, { PUBLIC_URL: moved });
  expect(t.app.adminConsole.clientId).toBe(clientId);
  const [row] = await consoleRows(t);
  expect(row?.redirect_uris).toEqual([`${moved}/console/callback`, `${moved}/graphql/callback`]);
  const events = await t.em().execute<Array<{ action: string }>>(
    "select action from audit_events where target_id = ? order by occurred_at", [clientId],
  );
  expect(events.map((event) => event.action)).toEqual(['auth_client.created', 'auth_client.updated']);

  // Deleted behind the service's back (SQL): the next start makes it again.
  await t.em().execute("delete from auth_clients where built_in = 'admin_console'");
  await t.stop();
  t = await startApp(storage);
  const rows = await consoleRows(t);
  expect(rows).toHaveLength(1);
  expect(rows[0]!.id).toBe(t.app.adminConsole.clientId);
  expect(rows[0]!.id).not.toBe(clientId);
  expect(rows[0]!.redirect_uris).toEqual([`${t.url}/console/callback`, `${t.url}/graphql/callback`]);
});
