// The audit log: an append-only table that a trigger keeps append-only (UPDATE, DELETE and TRUNCATE are refused),
// except for the retention prune, which marks its own transaction (`set local auth_clients.audit_prune = 'on'`).
// Also the permission to read it.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261127132000_audit_log extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "audit_events" ("id" uuid not null default gen_random_uuid(), "occurred_at" timestamptz not null default now(), "actor_type" text check ("actor_type" in ('user', 'client', 'cli')) not null, "actor_id" text null, "action" text not null, "target_type" text not null, "target_id" text null, "ip" text null, "user_agent" text null, "changes" jsonb null, constraint "audit_events_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_events_occurred_at_id_index" on "audit_events" ("occurred_at", "id");`);
    this.addSql(`create index "audit_events_action_index" on "audit_events" ("action", "occurred_at", "id");`);
    this.addSql(`create index "audit_events_actor_id_index" on "audit_events" ("actor_id", "occurred_at", "id");`);
    this.addSql(`create index "audit_events_target_id_index" on "audit_events" ("target_id", "occurred_at", "id");`);

    this.addSql(`create function audit_events_append_only() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and current_setting('auth_clients.audit_prune', true) = 'on' then
          return old;
        end if;
        raise exception 'audit_events is append-only: % is refused', tg_op using errcode = 'insufficient_privilege';
      end
    $$;`);
    this.addSql(`create trigger "audit_events_append_only" before update or delete on "audit_events" for each row execute function audit_events_append_only();`);
    this.addSql(`create trigger "audit_events_no_truncate" before truncate on "audit_events" for each statement execute function audit_events_append_only();`);

    this.addSql(`insert into "permissions" ("name", "title", "group_name") values ('view-audit_log', 'View Audit Log', 'Audit Log');`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "permissions" where "name" = 'view-audit_log';`);
    this.addSql(`drop table if exists "audit_events" cascade;`);
    this.addSql(`drop function if exists audit_events_append_only();`);
  }

}
