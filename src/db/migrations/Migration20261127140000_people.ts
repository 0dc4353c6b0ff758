// People and permissions through GraphQL: the Users and Groups permissions beside the Auth Clients and Audit Log ones,
// a group's description, a user's last sign-in, and index-backed searches of users (username or email) and groups
// (name), any case, as for auth clients (pg_trgm). Recording a sign-in is not announced to the caches.
import { Migration } from '@mikro-orm/migrations';

const PERMISSIONS: Array<[name: string, title: string, groupName: string]> = [
  ['view-users', 'View Users', 'Users'],
  ['create-users', 'Create Users', 'Users'],
  ['edit-users', 'Edit Users', 'Users'],
  ['delete-users', 'Delete Users', 'Users'],
  ['view-groups', 'View Groups', 'Groups'],
  ['create-groups', 'Create Groups', 'Groups'],
  ['edit-groups', 'Edit Groups', 'Groups'],
  ['delete-groups', 'Delete Groups', 'Groups'],
];

export class Migration20261127140000_people extends Migration {

  override async up(): Promise<void> {
    this.addSql(`insert into "permissions" ("name", "title", "group_name") values ${PERMISSIONS.map(([name, title, groupName]) => `('${name}', '${title}', '${groupName}')`).join(', ')} on conflict ("name") do nothing;`);
    this.addSql(`alter table "groups" add column "description" text null;`);
    this.addSql(`alter table "users" add column "last_sign_in_at" timestamptz null;`);
    // Recording a sign-in changes nothing a token rests on: like auth_clients.last_used_at, it announces nothing, so a
    // sign-in neither flushes the user's cached tokens on every instance nor costs a notification.
    this.addSql(`drop trigger if exists "users_changed" on "users";`);
    this.addSql(`create trigger "users_changed" after delete on "users" for each row execute function notify_row_change();`);
    this.addSql(`create trigger "users_updated" after update on "users" for each row when ((to_jsonb(old) - 'last_sign_in_at') is distinct from (to_jsonb(new) - 'last_sign_in_at')) execute function notify_row_change();`);
    this.addSql(`create index "users_username_trgm" on "users" using gin (lower("username") gin_trgm_ops);`);
    this.addSql(`create index "users_email_trgm" on "users" using gin (lower("email") gin_trgm_ops);`);
    this.addSql(`create index "groups_name_trgm" on "groups" using gin (lower("name") gin_trgm_ops);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "groups_name_trgm";`);
    this.addSql(`drop index if exists "users_email_trgm";`);
    this.addSql(`drop index if exists "users_username_trgm";`);
    this.addSql(`drop trigger if exists "users_updated" on "users";`);
    this.addSql(`drop trigger if exists "users_changed" on "users";`);
    this.addSql(`create trigger "users_changed" after update or delete on "users" for each row execute function notify_row_change();`);
    this.addSql(`alter table "users" drop column if exists "last_sign_in_at";`);
    this.addSql(`alter table "groups" drop column if exists "description";`);
    this.addSql(`delete from "permissions" where "name" in (${PERMISSIONS.map(([name]) => `'${name}'`).join(', ')});`);
  }

}
