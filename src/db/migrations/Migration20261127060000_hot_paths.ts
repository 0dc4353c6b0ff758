// Hot paths: an index-backed name search (pg_trgm); triggers that announce changed auth clients and keys to every
// instance (LISTEN/NOTIFY, see src/db/change-feed.ts), so caches of them can never serve a stale row; and the stored
// key of a token's grant beside the token, so the two are read in one query.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261127060000_hot_paths extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "oidc_payloads" add column "grant_key" varchar(64) null;`);

    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`create index "auth_clients_name_trgm" on "auth_clients" using gin (lower("name") gin_trgm_ops);`);

    // The channel is the table's name (or the trigger's argument); the payload the row's id, `+id` for a new row (which
    // nothing can have cached yet, but counts change), or * for every row.
    this.addSql(`create or replace function notify_row_change() returns trigger language plpgsql as $$
      declare
        channel text := coalesce(TG_ARGV[0], TG_TABLE_NAME);
      begin
        if TG_LEVEL = 'STATEMENT' then
          perform pg_notify(channel, '*');
        elsif TG_OP = 'DELETE' then
          perform pg_notify(channel, old.id::text);
        elsif TG_OP = 'INSERT' then
          perform pg_notify(channel, '+' || new.id::text);
        else
          perform pg_notify(channel, new.id::text);
        end if;
        return null;
      end $$;`);
    const announce = (table: string, operations: string, when = '', channel = '') => {
      const argument = channel ? `'${channel}'` : '';
      this.addSql(`create trigger "${table}_changed" after ${operations} on "${table}" for each row ${when} execute function notify_row_change(${argument});`);
      this.addSql(`create trigger "${table}_emptied" after truncate on "${table}" for each statement execute function notify_row_change(${argument});`);
    };
    announce('auth_clients', 'insert or update or delete');
    announce('crypto_keys', 'insert or update or delete');
    // What /graphql remembers of a bearer token: the token itself (revoked, replaced), its user, its personal access
    // token record, and the user's permissions (any change to grants or memberships forgets every token's).
    announce('oidc_payloads', 'update or delete', `when (old.model = 'AccessToken')`, 'access_tokens');
    announce('users', 'update or delete');
    announce('personal_access_tokens', 'update or delete');
    for (const table of ['user_permissions', 'group_permissions', 'group_members']) {
      this.addSql(`create trigger "${table}_changed" after insert or update or delete or truncate on "${table}" for each statement execute function notify_row_change('permissions');`);
    }
  }

  override async down(): Promise<void> {
    for (const table of ['auth_clients', 'crypto_keys', 'oidc_payloads', 'users', 'personal_access_tokens', 'user_permissions', 'group_permissions', 'group_members']) {
      this.addSql(`drop trigger if exists "${table}_changed" on "${table}";`);
      this.addSql(`drop trigger if exists "${table}_emptied" on "${table}";`);
    }
    this.addSql(`drop function if exists notify_row_change();`);
    this.addSql(`drop index if exists "auth_clients_name_trgm";`);
    this.addSql(`alter table "oidc_payloads" drop column "grant_key";`);
  }

}
