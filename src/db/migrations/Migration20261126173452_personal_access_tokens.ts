// Personal access tokens: what their owners see of them; the tokens themselves live hashed in oidc_payloads.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261126173452_personal_access_tokens extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "personal_access_tokens" ("id" uuid not null, "user_id" uuid not null, "client_id" uuid not null, "name" varchar(100) not null, "scopes" text[] not null default '{}', "token_hash" varchar(64) not null, "token_prefix" varchar(16) not null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "personal_access_tokens_pkey" primary key ("id"));`);
    this.addSql(`alter table "personal_access_tokens" add constraint "personal_access_tokens_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create unique index "personal_access_tokens_user_name_unique" on "personal_access_tokens" ("user_id", lower("name")) where "revoked_at" is null;`);

    this.addSql(`alter table "personal_access_tokens" add constraint "personal_access_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "personal_access_tokens" add constraint "personal_access_tokens_client_id_foreign" foreign key ("client_id") references "auth_clients" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "personal_access_tokens" cascade;`);
  }

}
