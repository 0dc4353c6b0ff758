// The committed migrations build exactly the schema the entities describe, and seed the permission catalogue.
import { PERMISSION_CATALOGUE } from '../../src/access-control/permissions.js';
import { Permission } from '../../src/access-control/permission.entity.js';
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import { parseConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/orm.js';
import { useTestApp } from '../helpers/app.js';
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
    `insert into auth_clients (id, name, grants, secret_hash, secret_prefix) values (gen_random_uuid(), ?, ${grants}, 'h', 'p')`,
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
    const migrator = database.orm.getMigrator();
    await migrator.up({ to: 'Migration20261127060000_hot_paths' });
    const em = database.orm.em.fork();
    await em.execute("insert into auth_clients (id, name, grants, secret_hash, secret_prefix) values (gen_random_uuid(), 'From Before', '{password}', 'h', 'p')");
    await migrator.up();
    await em.execute("insert into auth_clients (id, name, grants, secret_hash, secret_prefix) values (gen_random_uuid(), 'From After', '{password}', 'h', 'p')");
    expect(await em.execute('select name, scopes from auth_clients order by name')).toEqual([
      { name: 'From After', scopes: [] },
      { name: 'From Before', scopes: API_SCOPE_NAMES },
    ]);
  } finally {
    await database.close();
    await storage.dispose();
  }
});
