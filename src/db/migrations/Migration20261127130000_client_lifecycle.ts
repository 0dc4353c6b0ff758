// Auth client lifecycle: enabled, skip_consent, per-client token lifetimes and last use; oidc_payloads learn the client
// each row belongs to, so a client's tokens, codes and grants can be revoked together. Recording a client's last use
// (once a minute) announces nothing: no cache rests on it.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261127130000_client_lifecycle extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "auth_clients" add column "enabled" boolean not null default true, add column "skip_consent" boolean not null default false, add column "access_token_lifetime" int not null default 3600, add column "refresh_token_lifetime" int not null default 2592000, add column "last_used_at" timestamptz null;`);
    this.addSql(`alter table "auth_clients" add constraint "auth_clients_access_token_lifetime_check" check ("access_token_lifetime" >= 60 and "access_token_lifetime" <= 86400);`);
    this.addSql(`alter table "auth_clients" add constraint "auth_clients_refresh_token_lifetime_check" check ("refresh_token_lifetime" >= 3600 and "refresh_token_lifetime" <= 31536000);`);
    this.addSql(`create index "auth_clients_last_used_at_index" on "auth_clients" ("last_used_at");`);
    // Rows written before this migration have no client_id; revoking falls back to opening their payloads.
    this.addSql(`alter table "oidc_payloads" add column "client_id" varchar(255) null;`);
    this.addSql(`create index "oidc_payloads_client_id_index" on "oidc_payloads" ("client_id");`);
    this.addSql(`drop trigger if exists "auth_clients_changed" on "auth_clients";`);
    this.addSql(`create trigger "auth_clients_changed" after insert or delete on "auth_clients" for each row execute function notify_row_change();`);
    this.addSql(`create trigger "auth_clients_updated" after update on "auth_clients" for each row when ((to_jsonb(old) - 'last_used_at') is distinct from (to_jsonb(new) - 'last_used_at')) execute function notify_row_change();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "auth_clients_updated" on "auth_clients";`);
    this.addSql(`drop trigger if exists "auth_clients_changed" on "auth_clients";`);
    this.addSql(`create trigger "auth_clients_changed" after insert or update or delete on "auth_clients" for each row execute function notify_row_change();`);
    this.addSql(`drop index if exists "oidc_payloads_client_id_index";`);
    this.addSql(`alter table "oidc_payloads" drop column "client_id";`);
    this.addSql(`drop index if exists "auth_clients_last_used_at_index";`);
    this.addSql(`alter table "auth_clients" drop constraint if exists "auth_clients_access_token_lifetime_check", drop constraint if exists "auth_clients_refresh_token_lifetime_check";`);
    this.addSql(`alter table "auth_clients" drop column "enabled", drop column "skip_consent", drop column "access_token_lifetime", drop column "refresh_token_lifetime", drop column "last_used_at";`);
  }

}
