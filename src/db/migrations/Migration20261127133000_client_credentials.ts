// Client credentials (machine to machine): the grant is allowed in auth_clients.grants, and a client acting as itself
// holds the permissions granted to it in client_permissions, announced on the `permissions` channel like the grants to
// users and groups (src/oidc/token-cache.ts forgets every token's permissions on any of them); a revoked
// client-credentials token is announced as a revoked access token is.
import { Migration } from '@mikro-orm/migrations';

const GRANTS = (grants: string[]) => `cardinality("grants") > 0 and "grants" <@ array[${grants.map((grant) => `'${grant}'`).join(', ')}]::text[]`;

export class Migration20261127133000_client_credentials extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "auth_clients" drop constraint if exists "auth_clients_grants_check";`);
    this.addSql(`alter table "auth_clients" add constraint "auth_clients_grants_check" check (${GRANTS(['authorization_code', 'password', 'personal_access', 'client_credentials'])});`);

    this.addSql(`create table "client_permissions" ("client_id" uuid not null, "permission_name" varchar(100) not null, constraint "client_permissions_pkey" primary key ("client_id", "permission_name"));`);
    this.addSql(`alter table "client_permissions" add constraint "client_permissions_client_id_foreign" foreign key ("client_id") references "auth_clients" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "client_permissions" add constraint "client_permissions_permission_name_foreign" foreign key ("permission_name") references "permissions" ("name") on update cascade on delete cascade;`);
    this.addSql(`create trigger "client_permissions_changed" after insert or update or delete or truncate on "client_permissions" for each statement execute function notify_row_change('permissions');`);
    // A client-credentials token is remembered like an access token (same key: its row's id), so its revocation is
    // announced on the same channel.
    this.addSql(`create trigger "oidc_payloads_client_credentials_changed" after update or delete on "oidc_payloads" for each row when (old.model = 'ClientCredentials') execute function notify_row_change('access_tokens');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "oidc_payloads_client_credentials_changed" on "oidc_payloads";`);
    this.addSql(`drop table if exists "client_permissions" cascade;`);
    this.addSql(`delete from "auth_clients" where "grants" = array['client_credentials']::text[];`);
    this.addSql(`update "auth_clients" set "grants" = array_remove("grants", 'client_credentials');`);
    this.addSql(`alter table "auth_clients" drop constraint if exists "auth_clients_grants_check";`);
    this.addSql(`alter table "auth_clients" add constraint "auth_clients_grants_check" check (${GRANTS(['authorization_code', 'password', 'personal_access'])});`);
  }

}
