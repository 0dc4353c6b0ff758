// Remembered consents: which Grant holds a user's consent to a client, across sign-ins.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261126171104_consents extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "oidc_consents" ("user_id" uuid not null, "client_id" uuid not null, "grant_id" varchar(255) not null, "updated_at" timestamptz not null default now(), constraint "oidc_consents_pkey" primary key ("user_id", "client_id"));`);

    this.addSql(`alter table "oidc_consents" add constraint "oidc_consents_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "oidc_consents" add constraint "oidc_consents_client_id_foreign" foreign key ("client_id") references "auth_clients" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "oidc_consents" cascade;`);
  }

}
