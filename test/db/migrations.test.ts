// The committed migrations build exactly the schema the entities describe, and seed the permission catalogue.
import { PERMISSION_CATALOGUE } from '../../src/access-control/permissions.js';
import { Permission } from '../../src/access-control/permission.entity.js';
import { useTestApp } from '../helpers/app.js';

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
