// What a copy of the database would give a thief: no token, code, secret, password or session id in any form.
import { resolveAppKey } from '../../src/db/orm.js';
import { randomToken, Secrets } from '../../src/shared/secrets.js';
import { OidcPayload } from '../../src/oidc/oidc-payload.entity.js';
import { deleteExpiredPayloads } from '../../src/oidc/adapter.js';
import { Sql } from '../../src/db/sql.js';
import { useTestApp } from '../helpers/app.js';
import { changeInSql, createClient, createUser } from '../helpers/fixtures.js';
import { passwordGrant } from '../helpers/oauth.js';

const t = useTestApp();

async function dumpDatabase(): Promise<string> {
  const em = t.current.em();
  const tables = await em.execute<Array<{ tablename: string }>>("select tablename from pg_tables where schemaname = 'public'");
  const rows = await Promise.all(tables.map(({ tablename }) => em.execute(`select * from "${tablename}"`)));
  return JSON.stringify(rows);
}

it('holds no usable token, secret or password, and no jti inside the payloads', async () => {
  const client = await createClient(t.current);
  const user = await createUser(t.current);
  const tokens = await passwordGrant(t.current, client, user, 'openid offline_access');
  const secrets = [client.secret, user.password, tokens.access_token, tokens.refresh_token!];

  const dump = await dumpDatabase();
  for (const secret of secrets) expect(dump).not.toContain(secret);
  // Not even the random part of the client secret, in any of the usual encodings.
  const randomPart = client.secret.slice(4);
  expect(dump).not.toContain(randomPart);
  expect(dump).not.toContain(Buffer.from(randomPart, 'base64url').toString('hex'));

  // The rows exist, under keyed hashes, and their sealed payloads hold no jti even once opened with APP_KEY.
  const sealed = new Secrets(await resolveAppKey(t.current.config));
  const rows = await t.current.em().find(OidcPayload, { model: { $in: ['AccessToken', 'RefreshToken', 'Grant'] } });
  expect(rows.map((row) => row.model).sort()).toEqual(['AccessToken', 'Grant', 'RefreshToken']);
  for (const row of rows) {
    const payload = JSON.parse(sealed.decrypt('oidc-payload', row.payload, `${row.model}:${row.id}`)) as Record<string, unknown>;
    expect(payload).not.toHaveProperty('jti');
    expect(JSON.stringify(payload)).not.toContain(tokens.access_token);
    expect(JSON.stringify(payload)).not.toContain(tokens.refresh_token);
  }

  const [stored] = await t.current.em().execute<Array<{ password_hash: string }>>('select password_hash from users where id = ?', [user.user.id]);
  expect(stored?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
});

it('seals every payload under a nonce of its own, and opens each', () => {
  const secrets = new Secrets('a-test-app-key-of-thirty-two-characters-or-more');
  // Nonces and random tokens (client secrets, ids) come from one pool of random bytes, more than one of which (6 KiB
  // each) is used up on the way: no bytes may be given out twice, to a nonce or to a token, across a refill either.
  const sealed: string[] = [];
  const tokens: string[] = [];
  for (let index = 0; index < 1300; index += 1) {
    sealed.push(secrets.encrypt('oidc-payload', `{"n":${index}}`, 'AccessToken:x'));
    tokens.push(randomToken(32));
  }
  const nonces = sealed.map((value) => Buffer.from(value.split('.')[1]!, 'base64url').toString('hex'));
  expect(new Set(nonces).size).toBe(sealed.length);
  expect(new Set(tokens).size).toBe(tokens.length);
  const tokenBytes = tokens.map((token) => Buffer.from(token, 'base64url').toString('hex')).join(' ');
  expect(nonces.filter((nonce) => tokenBytes.includes(nonce))).toEqual([]);
  sealed.forEach((value, index) => expect(secrets.decrypt('oidc-payload', value, 'AccessToken:x')).toBe(`{"n":${index}}`));
});

it('treats a sealed payload moved to another row as no token at all', async () => {
  const client = await createClient(t.current);
  const user = await createUser(t.current);
  const first = await passwordGrant(t.current, client, user);
  const second = await passwordGrant(t.current, client, user);
  const em = t.current.em();
  const firstRow = await em.findOneOrFail(OidcPayload, { model: 'AccessToken', grantId: (await t.current.app.provider.AccessToken.find(first.access_token))!.grantId });
  const secondGrant = (await t.current.app.provider.AccessToken.find(second.access_token))!.grantId;
  // Once the instance has heard of it (it keeps access tokens in memory until their row changes).
  await changeInSql(t.current, "update oidc_payloads set payload = ? where model = 'AccessToken' and grant_id = ?", [firstRow.payload, secondGrant]);
  await expect(t.current.app.provider.AccessToken.find(second.access_token)).resolves.toBeUndefined();
  await expect(t.current.app.provider.AccessToken.find(first.access_token)).resolves.toBeDefined();
});

it('sweeps DPoP proof ids once expired, and other rows a day after they expire', async () => {
  const em = t.current.em();
  const insert = (model: string, id: string, expiredAgo: string) => em.execute(
    `insert into oidc_payloads (model, id, payload, expires_at) values (?, ?, 'sealed', now() - interval '${expiredAgo}')`,
    [model, id],
  );
  await insert('ReplayDetection', 'sweep-proof-expired', '1 second');
  await insert('AccessToken', 'sweep-token-expired-an-hour', '1 hour');
  await insert('AccessToken', 'sweep-token-expired-two-days', '2 days');
  await deleteExpiredPayloads(new Sql(t.current.app.orm, false));
  const left = await em.execute<Array<{ id: string }>>("select id from oidc_payloads where id like 'sweep-%' order by id");
  expect(left.map((row) => row.id)).toEqual(['sweep-token-expired-an-hour']);
});
