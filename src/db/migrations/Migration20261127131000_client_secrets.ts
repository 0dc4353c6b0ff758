// Client secrets get their own table, so a client can hold two during a rotation. Each existing client's secret moves
// there unchanged (it keeps working), then leaves auth_clients. A change to a client's secrets is announced on the
// `auth_clients` channel with the client's id, so every instance forgets that client's cached metadata at once; a use
// (last_used_at) is not announced, as nothing cached depends on it. Rotating and revoking are functions: one statement
// each, atomic, and serialised per client by the client row's lock, after which (READ COMMITTED, volatile function)
// every statement reads what the rotation before it committed. One statement also keeps them whole on the embedded
// database, whose one session interleaves the messages of concurrent multi-statement transactions.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261127131000_client_secrets extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "auth_client_secrets" ("id" uuid not null, "client_id" uuid not null, "secret_hash" varchar(64) not null, "prefix" varchar(16) not null, "created_at" timestamptz not null default now(), "expires_at" timestamptz null, "last_used_at" timestamptz null, constraint "auth_client_secrets_pkey" primary key ("id"));`);
    this.addSql(`create index "auth_client_secrets_client_id_index" on "auth_client_secrets" ("client_id");`);
    this.addSql(`alter table "auth_client_secrets" add constraint "auth_client_secrets_client_id_foreign" foreign key ("client_id") references "auth_clients" ("id") on update cascade on delete cascade;`);

    this.addSql(`insert into "auth_client_secrets" ("id", "client_id", "secret_hash", "prefix", "created_at")
      select gen_random_uuid(), "id", "secret_hash", "secret_prefix", "created_at" from "auth_clients";`);
    this.addSql(`alter table "auth_clients" drop column "secret_hash", drop column "secret_prefix";`);

    this.addSql(`create or replace function notify_client_secret_change() returns trigger language plpgsql as $$
      begin
        if TG_LEVEL = 'STATEMENT' then
          perform pg_notify('auth_clients', '*');
        elsif TG_OP = 'DELETE' then
          perform pg_notify('auth_clients', old.client_id::text);
        else
          perform pg_notify('auth_clients', new.client_id::text);
        end if;
        return null;
      end $$;`);
    this.addSql(`create trigger "auth_client_secrets_changed" after insert or delete on "auth_client_secrets" for each row execute function notify_client_secret_change();`);
    this.addSql(`create trigger "auth_client_secrets_updated" after update on "auth_client_secrets" for each row
      when (old.secret_hash is distinct from new.secret_hash or old.expires_at is distinct from new.expires_at or old.client_id is distinct from new.client_id)
      execute function notify_client_secret_change();`);
    this.addSql(`create trigger "auth_client_secrets_emptied" after truncate on "auth_client_secrets" for each statement execute function notify_client_secret_change();`);

    // The new secret becomes current; the one current until now works for previous_expires_in seconds more (never
    // longer than it already would); any older one still working stops now. Null when there is no such client.
    // clock_timestamp(), not now(): a rotation that waited for the lock dates its secret after the one it waited for.
    this.addSql(`create or replace function rotate_auth_client_secret(client uuid, hash text, secret_prefix text, previous_expires_in integer)
      returns uuid language plpgsql volatile as $$
      declare
        current_secret uuid;
        new_secret uuid := gen_random_uuid();
      begin
        perform 1 from auth_clients where id = client for update;
        if not found then return null; end if;
        select id into current_secret from auth_client_secrets
          where client_id = client and (expires_at is null or expires_at > clock_timestamp())
          order by created_at desc, id desc limit 1;
        update auth_client_secrets set expires_at = clock_timestamp()
          where client_id = client and id <> current_secret and (expires_at is null or expires_at > clock_timestamp());
        update auth_client_secrets
          set expires_at = least(coalesce(expires_at, 'infinity'::timestamptz), clock_timestamp() + make_interval(secs => previous_expires_in))
          where id = current_secret;
        insert into auth_client_secrets (id, client_id, secret_hash, prefix, created_at)
          values (new_secret, client, hash, secret_prefix, clock_timestamp());
        return new_secret;
      end $$;`);
    // Ends one working secret now, never the last; ending the current one makes the previous one current again.
    // Answers 'revoked', 'client_not_found', 'secret_not_found' (also another client's, or one already ended) or 'last_secret'.
    this.addSql(`create or replace function revoke_auth_client_secret(client uuid, secret uuid)
      returns text language plpgsql volatile as $$
      declare
        working uuid[];
      begin
        perform 1 from auth_clients where id = client for update;
        if not found then return 'client_not_found'; end if;
        select array_agg(id order by created_at desc, id desc) into working from auth_client_secrets
          where client_id = client and (expires_at is null or expires_at > clock_timestamp());
        if working is null or not (secret = any(working)) then return 'secret_not_found'; end if;
        if cardinality(working) = 1 then return 'last_secret'; end if;
        update auth_client_secrets set expires_at = clock_timestamp() where id = secret;
        if working[1] = secret then
          update auth_client_secrets set expires_at = null where id = working[2];
        end if;
        return 'revoked';
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists rotate_auth_client_secret(uuid, text, text, integer);`);
    this.addSql(`drop function if exists revoke_auth_client_secret(uuid, uuid);`);
    this.addSql(`alter table "auth_clients" add column "secret_hash" varchar(64) null, add column "secret_prefix" varchar(16) null;`);
    // The newest secret that still works goes back (the other one of a rotation stops working); every client has one.
    this.addSql(`update "auth_clients" c set "secret_hash" = s."secret_hash", "secret_prefix" = s."prefix"
      from (select distinct on ("client_id") "client_id", "secret_hash", "prefix" from "auth_client_secrets"
            order by "client_id", ("expires_at" is null or "expires_at" > now()) desc, "created_at" desc) s
      where s."client_id" = c."id";`);
    this.addSql(`alter table "auth_clients" alter column "secret_hash" set not null, alter column "secret_prefix" set not null;`);
    this.addSql(`drop table if exists "auth_client_secrets" cascade;`);
    this.addSql(`drop function if exists notify_client_secret_change();`);
  }

}
