// Which redirect URIs the authorization and end-session endpoints accept: the stored normal form, exactly, except
// the port of http://127.0.0.1 and http://[::1] (RFC 8252 §7.3). http://localhost is matched with its port, for web
// and native clients alike.
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import { useTestApp } from '../helpers/app.js';
import { oidc } from '../helpers/oauth.js';

const t = useTestApp();
let web: string;
let native: string;

beforeAll(async () => {
  const create = async (name: string, redirectUris: string[]) => (await t.current.app.services.authClients.create({
    name, grants: [AuthClientGrant.AUTHORIZATION_CODE], redirectUris,
  })).authClient.id;
  web = await create('Web and loopback', ['https://App.Example.com:443/cb', 'http://127.0.0.1/cb', 'http://[::1]:8080/cb', 'http://localhost:3000/cb']);
  native = await create('Native', ['com.example.app:/cb', 'http://localhost:3000/cb', 'http://127.0.0.1:3000/cb']);
});

/** Whether /oidc/auth accepts `redirectUri` for `clientId`: it then starts signing in (303), else shows an error page (400). */
async function accepted(clientId: string, redirectUri: string): Promise<boolean> {
  const query = new URLSearchParams({
    client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  const response = await fetch(`${t.current.issuer}/auth?${query.toString()}`, { redirect: 'manual' });
  expect([303, 400]).toContain(response.status);
  if (response.status === 400) expect(await response.text()).toContain('redirect_uri');
  return response.status === 303;
}

it.each([
  ['the stored normal form', 'https://app.example.com/cb', true],
  ['the form typed at registration', 'https://App.Example.com:443/cb', false],
  ['another path', 'https://app.example.com/cb2', false],
  ['127.0.0.1 on the port registered (none)', 'http://127.0.0.1/cb', true],
  ['127.0.0.1 on any other port', 'http://127.0.0.1:51004/cb', true],
  ['[::1] on any other port', 'http://[::1]:61000/cb', true],
  ['127.0.0.1 on another path', 'http://127.0.0.1:51004/other', false],
  ['127.0.0.1 with a query', 'http://127.0.0.1:51004/cb?x=1', false],
  ['127.0.0.1 spelled otherwise', 'http://127.1:51004/cb', false],
  ['localhost on its port', 'http://localhost:3000/cb', true],
  ['localhost on another port', 'http://localhost:3001/cb', false],
  ['https on 127.0.0.1', 'https://127.0.0.1:51004/cb', false],
])('a web client: %s (%s) -> %s', async (_case, redirectUri, expected) => {
  expect(await accepted(web, redirectUri)).toBe(expected);
});

it.each([
  ['its private-use scheme', 'com.example.app:/cb', true],
  ['localhost on its port', 'http://localhost:3000/cb', true],
  ['localhost on another port (oidc-provider alone would allow it for a native app)', 'http://localhost:4000/cb', false],
  ['127.0.0.1 on another port', 'http://127.0.0.1:4000/cb', true],
])('a native client: %s (%s) -> %s', async (_case, redirectUri, expected) => {
  expect(await accepted(native, redirectUri)).toBe(expected);
});
