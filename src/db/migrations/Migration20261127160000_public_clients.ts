// Public clients (issue 12): `confidential` (true for every existing client), the grants a public client may have, and
// `built_in`, which marks the client the service keeps itself (the Admin Console). Changes to either are announced on
// the auth_clients channel by the existing row triggers.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261127160000_public_clients extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "auth_clients" add column "confidential" boolean not null default true, add column "built_in" varchar(50) null;`);
    this.addSql(`alter table "auth_clients" add constraint "auth_clients_built_in_unique" unique ("built_in");`);
    this.addSql(`alter table "auth_clients" add constraint "auth_clients_public_grants_check" check ("confidential" or "grants" <@ array['authorization_code', 'personal_access']::text[]);`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "auth_clients" where "built_in" is not null;`);
    this.addSql(`alter table "auth_clients" drop constraint if exists "auth_clients_public_grants_check";`);
    this.addSql(`alter table "auth_clients" drop constraint if exists "auth_clients_built_in_unique";`);
    this.addSql(`alter table "auth_clients" drop column "built_in", drop column "confidential";`);
  }

}
