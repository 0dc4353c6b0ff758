// Hot paths: an index-backed name search (pg_trgm); triggers that announce changed auth clients and keys to every
// instance (LISTEN/NOTIFY, see src/db/change-feed.ts), so caches of them can never serve a stale row; and the stored
// key of a token's grant beside the token, so the two are read in one query.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261127060000_hot_paths extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "oidc_payloads" add column "grant_key" varchar(64) null;`);

    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`create index "auth_clients_name_trgm" on "auth_clients" using gin (lower("name") gin_trgm_ops);`);

    // The payload is the row's id, or * when a whole table was emptied.
    this.addSql(`create or replace function notify_row_change() returns trigger language plpgsql as $$
      begin
        if TG_LEVEL = 'STATEMENT' then
          perform pg_notify(TG_TABLE_NAME, '*');
        elsif TG_OP = 'DELETE' then
          perform pg_notify(TG_TABLE_NAME, old.id::text);
        else
          perform pg_notify(TG_TABLE_NAME, new.id::text);
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger "auth_clients_changed" after insert or update or delete on "auth_clients" for each row execute function notify_row_change();`);
    this.addSql(`create trigger "auth_clients_emptied" after truncate on "auth_clients" for each statement execute function notify_row_change();`);
    this.addSql(`create trigger "crypto_keys_changed" after insert or update or delete on "crypto_keys" for each row execute function notify_row_change();`);
    this.addSql(`create trigger "crypto_keys_emptied" after truncate on "crypto_keys" for each statement execute function notify_row_change();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "crypto_keys_emptied" on "crypto_keys";`);
    this.addSql(`drop trigger if exists "crypto_keys_changed" on "crypto_keys";`);
    this.addSql(`drop trigger if exists "auth_clients_emptied" on "auth_clients";`);
    this.addSql(`drop trigger if exists "auth_clients_changed" on "auth_clients";`);
    this.addSql(`drop function if exists notify_row_change();`);
    this.addSql(`drop index if exists "auth_clients_name_trgm";`);
    this.addSql(`alter table "oidc_payloads" drop column "grant_key";`);
  }

}
