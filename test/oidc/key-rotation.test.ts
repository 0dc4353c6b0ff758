// Signing-key rotation with `keys:rotate`: new keys are published at once by every instance and become current (the
// rotation is announced to every instance, with no wait for the 10 s poll), and tokens signed before the rotation
// still verify until they expire.
import * as jose from 'jose';
import {
  heard, startApp, useTestApp, type TestApp,
} from '../helpers/app.js';
import { createClient, createUser, type TestClient, type TestUser } from '../helpers/fixtures.js';
import { passwordGrant } from '../helpers/oauth.js';
import { runCli } from '../helpers/process.js';
import { serverUrl } from '../helpers/storage.js';
import { RETIRED_KEY_RETENTION_MS } from '../../src/oidc/keys.js';

const t = useTestApp();
let client: TestClient;
let user: TestUser;

beforeAll(async () => {
  client = await createClient(t.current);
  user = await createUser(t.current);
});

const kidsOf = async (app: TestApp) => ((await (await fetch(`${app.issuer}/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> }).keys;
const kidOf = (jwt: string) => jose.decodeProtectedHeader(jwt).kid;
const verify = (jwt: string, app: TestApp) => jose.jwtVerify(jwt, jose.createRemoteJWKSet(new URL(`${app.issuer}/jwks`)), { issuer: t.current.issuer });

/** Rotates with the CLI, a process of its own; resolves once every given instance has heard of it. */
async function rotate(...apps: TestApp[]): Promise<string[]> {
  const announced = Promise.all([t.current, ...apps].map((app) => heard(app, 'crypto_keys')));
  const result = await runCli(['keys:rotate', '--json'], t.current.storage.env);
  expect(result.code).toBe(0);
  await announced;
  return (JSON.parse(result.stdout) as { signingKeys: string[] }).signingKeys;
}

it('publishes the new keys at once, signs with them, and still verifies tokens signed before', async () => {
  const before = await passwordGrant(t.current, client, user, 'openid');
  const oldKid = kidOf(before.id_token!);

  const newKids = await rotate();
  expect(newKids).toHaveLength(2);
  const published = await kidsOf(t.current);
  expect(published.map((key) => key.kid)).toEqual(expect.arrayContaining([...newKids, oldKid]));
  for (const key of published) expect(key).not.toHaveProperty('d');

  // Reloaded when the rotation was announced: nothing is left for a refresh to pick up.
  expect(await t.current.app.refreshKeys()).toBe(false);
  const after = await passwordGrant(t.current, client, user, 'openid');
  expect(newKids).toContain(kidOf(after.id_token!));

  await verify(before.id_token!, t.current);
  await verify(after.id_token!, t.current);
  // Tokens issued before the rotation keep working for the API as well.
  expect((await t.current.app.provider.AccessToken.find(before.access_token))?.accountId).toBe(user.user.id);
});

it('stops publishing a retired key once everything it signed has expired', async () => {
  const before = await passwordGrant(t.current, client, user, 'openid');
  const oldKid = kidOf(before.id_token!);
  await rotate();
  await t.current.em().execute('update crypto_keys set retired_at = ? where id = ?', [new Date(Date.now() - RETIRED_KEY_RETENTION_MS - 60_000), oldKid]);
  await t.current.app.refreshKeys();
  expect((await kidsOf(t.current)).map((key) => key.kid)).not.toContain(oldKid);
});

(serverUrl ? it : it.skip)('works with two instances on one database', async () => {
  const other = await startApp(t.current.storage);
  try {
    const newKids = await rotate(other);
    // Both instances heard of the rotation: the other publishes the new keys...
    expect((await kidsOf(other)).map((key) => key.kid)).toEqual(expect.arrayContaining(newKids));
    // ...so a token the first instance signs with them verifies against either...
    const signed = await passwordGrant(t.current, client, user, 'openid');
    expect(newKids).toContain(kidOf(signed.id_token!));
    await verify(signed.id_token!, other);
    // ...and it signs with the same keys, with no refresh asked for.
    const fromOther = await passwordGrant(other, client, user, 'openid');
    expect(kidOf(fromOther.id_token!)).toBe(kidOf(signed.id_token!));
  } finally {
    await other.stop();
  }
});
