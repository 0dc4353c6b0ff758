// The committed migrations build exactly the schema the entities describe, and seed the permission catalogue.
import { PERMISSION_CATALOGUE } from '../../src/access-control/permissions.js';
import { Permission } from '../../src/access-control/permission.entity.js';
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { parseConfig } from '../../src/config.js';
import { getMigrator, openDatabase, resolveAppKey } from '../../src/db/orm.js';
import { Secrets } from '../../src/shared/secrets.js';
import { startApp, useTestApp } from '../helpers/app.js';
import { createUser } from '../helpers/fixtures.js';
import { clientConfig, oidc, passwordGrant } from '../helpers/oauth.js';
import { createTestStorage } from '../helpers/storage.js';

const t = useTestApp();

it('leave nothing for the entities to change', async () => {
  const diff = await t.current.app.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
  expect(diff.trim()).toBe('');
});

it('seed the permission catalogue that the rules use', async () => {
  const rows = await t.current.em().find(Permission, {}, { orderBy: { name: 'asc' } });
  expect(rows.map(({ name, title, groupName }) => ({ name, title, groupName })))
    .toEqual([...PERMISSION_CATALOGUE].sort((a, b) => a.name.localeCompare(b.name)));
});

it('keep the name and grants rules in the database too, under any code path', async () => {
  const em = t.current.em();
  const insert = (name: string, grants: string) => em.execute(
    `insert into auth_clients (id, name, grants) values (gen_random_uuid(), ?, ${grants})`,
    [name],
  );
  await expect(insert(' padded ', "'{password}'")).rejects.toThrow(/auth_clients_name_check/);
  await expect(insert('No grants', "'{}'")).rejects.toThrow(/auth_clients_grants_check/);
  await expect(insert('Odd grant', "'{implicit}'")).rejects.toThrow(/auth_clients_grants_check/);
});

it('give the clients that existed before API scopes every API scope, and later ones none unless listed', async () => {
  const storage = await createTestStorage({ fresh: true });
  const config = parseConfig({ LOG_LEVEL: 'silent', ...storage.env });
  const database = await openDatabase(config, 'cli');
  try {
    const migrator = await getMigrator(database.orm);
    await migrator.up({ to: 'Migration20261127060000_hot_paths' });
    const em = database.orm.em.fork();
    await em.execute("insert into auth_clients (id, name, grants, secret_hash, secret_prefix) values (gen_random_uuid(), 'From Before', '{password}', 'h', 'p')");
    await migrator.up();
    await em.execute("insert into auth_clients (id, name, grants) values (gen_random_uuid(), 'From After', '{password}')");
    expect(await em.execute('select name, scopes from auth_clients order by name')).toEqual([
      { name: 'From After', scopes: [] },
      { name: 'From Before', scopes: API_SCOPE_NAMES },
    ]);
  } finally {
    await database.close();
    await storage.dispose();
  }
});

it('move the secret of a client made before secret rotation to auth_client_secrets, where it keeps working', async () => {
  const storage = await createTestStorage({ fresh: true });
  const config = parseConfig({ LOG_LEVEL: 'silent', ...storage.env });
  const database = await openDatabase(config, 'cli');
  const secret = 'acs_made-before-rotation-0123456789abcdefghijklmn';
  let id: string;
  try {
    await (await getMigrator(database.orm)).up({ to: 'Migration20261127120000_api_scopes' });
    const hash = new Secrets(await resolveAppKey(config)).hash('client-secret', secret);
    const [row] = await database.orm.em.fork().execute<Array<{ id: string }>>(
      "insert into auth_clients (id, name, grants, secret_hash, secret_prefix) values (gen_random_uuid(), 'From Before Rotation', '{password}', ?, ?) returning id",
      [hash, secret.slice(0, 10)],
    );
    id = row!.id;
  } finally {
    await database.close();
  }
  const later = await startApp(storage);
  try {
    const em = later.em();
    expect(await em.execute("select column_name from information_schema.columns where table_name = 'auth_clients' and column_name like 'secret%'")).toEqual([]);
    expect(await em.execute('select prefix, expires_at from auth_client_secrets where client_id = ?', [id])).toEqual([{ prefix: secret.slice(0, 10), expires_at: null }]);
    const user = await createUser(later);
    const { access_token: accessToken } = await passwordGrant(later, { id, secret }, user, 'openid');
    expect((await oidc.tokenIntrospection(await clientConfig(later, { id, secret }), accessToken)).active).toBe(true);
  } finally {
    await later.stop();
    await storage.dispose();
  }
});

it('compose names stored decomposed (NFD), leaving any that would then collide with another for a person to rename', async () => {
  const storage = await createTestStorage({ fresh: true });
  const config = parseConfig({ LOG_LEVEL: 'silent', ...storage.env });
  const database = await openDatabase(config, 'cli');
  try {
    await (await getMigrator(database.orm)).up({ to: 'Migration20261127141000_user_tokens' });
    const em = database.orm.em.fork();
    for (const name of ['Cafe\u0301 Portal', 'Cre\u0300me', 'cr\u00e8me', 'Plain']) {
      await em.execute("insert into auth_clients (id, name, grants) values (gen_random_uuid(), ?, '{password}')", [name]);
      await em.execute('insert into groups (id, name) values (gen_random_uuid(), ?)', [name]);
    }
  } finally {
    await database.close();
  }
  const later = await startApp(storage);
  try {
    for (const table of ['auth_clients', 'groups']) {
      const rows = await later.em().execute<Array<{ name: string }>>(`select name from ${table} where name not in ('Super Admins', 'Admin Console') order by name`);
      expect(rows.map((row) => row.name).sort()).toEqual(['Caf\u00e9 Portal', 'Cre\u0300me', 'Plain', 'cr\u00e8me'].sort());
    }
  } finally {
    await later.stop();
    await storage.dispose();
  }
});
