// The first schema: users, groups, the permission catalogue, auth clients, and oidc-provider's storage.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261126162819_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "crypto_keys" ("id" varchar(64) not null, "use" text check ("use" in ('signing', 'cookie')) not null, "material" text not null, "created_at" timestamptz not null default now(), constraint "crypto_keys_pkey" primary key ("id"));`);

    this.addSql(`create table "groups" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "name" varchar(255) not null, constraint "groups_pkey" primary key ("id"));`);
    this.addSql(`create unique index "groups_name_lower_unique" on "groups" (lower("name"));`);

    this.addSql(`create table "oidc_payloads" ("model" varchar(64) not null, "id" varchar(64) not null, "payload" text not null, "grant_id" varchar(255) null, "uid" varchar(64) null, "user_code" varchar(64) null, "expires_at" timestamptz null, "consumed_at" timestamptz null, constraint "oidc_payloads_pkey" primary key ("model", "id"));`);
    this.addSql(`create index "oidc_payloads_expires_at_index" on "oidc_payloads" ("expires_at");`);
    this.addSql(`create index "oidc_payloads_user_code_index" on "oidc_payloads" ("user_code");`);
    this.addSql(`create index "oidc_payloads_uid_index" on "oidc_payloads" ("uid");`);
    this.addSql(`create index "oidc_payloads_grant_id_index" on "oidc_payloads" ("grant_id");`);

    this.addSql(`create table "permissions" ("name" varchar(100) not null, "title" varchar(255) not null, "group_name" varchar(255) not null, constraint "permissions_pkey" primary key ("name"));`);

    this.addSql(`create table "group_permissions" ("group_id" uuid not null, "permission_name" varchar(100) not null, constraint "group_permissions_pkey" primary key ("group_id", "permission_name"));`);

    this.addSql(`create table "settings" ("key" varchar(100) not null, "value" text not null, constraint "settings_pkey" primary key ("key"));`);

    this.addSql(`create table "users" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "username" varchar(255) not null, "email" varchar(320) not null, "password_hash" text not null, "is_super_admin" boolean not null default false, "is_active" boolean not null default true, constraint "users_pkey" primary key ("id"));`);
    this.addSql(`create unique index "users_email_lower_unique" on "users" (lower("email"));`);
    this.addSql(`create unique index "users_username_lower_unique" on "users" (lower("username"));`);

    this.addSql(`create table "group_members" ("group_id" uuid not null, "user_id" uuid not null, constraint "group_members_pkey" primary key ("group_id", "user_id"));`);

    this.addSql(`create table "auth_clients" ("id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "name" varchar(255) not null, "grants" text[] not null, "redirect_uris" text[] not null default '{}', "secret_hash" varchar(64) not null, "secret_prefix" varchar(16) not null, "created_by_id" uuid null, constraint "auth_clients_pkey" primary key ("id"), constraint auth_clients_grants_check check (cardinality("grants") > 0 and "grants" <@ array['authorization_code', 'password', 'personal_access']::text[]), constraint auth_clients_name_check check ("name" = btrim("name") and "name" <> ''));`);
    this.addSql(`create unique index "auth_clients_name_lower_unique" on "auth_clients" (lower("name"));`);

    this.addSql(`create table "user_permissions" ("user_id" uuid not null, "permission_name" varchar(100) not null, constraint "user_permissions_pkey" primary key ("user_id", "permission_name"));`);

    this.addSql(`alter table "group_permissions" add constraint "group_permissions_group_id_foreign" foreign key ("group_id") references "groups" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group_permissions" add constraint "group_permissions_permission_name_foreign" foreign key ("permission_name") references "permissions" ("name") on update cascade on delete cascade;`);

    this.addSql(`alter table "group_members" add constraint "group_members_group_id_foreign" foreign key ("group_id") references "groups" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group_members" add constraint "group_members_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "auth_clients" add constraint "auth_clients_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "user_permissions" add constraint "user_permissions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "user_permissions" add constraint "user_permissions_permission_name_foreign" foreign key ("permission_name") references "permissions" ("name") on update cascade on delete cascade;`);

    // The permission catalogue: rows, not code, so grants to users and groups can reference them.

    this.addSql(`insert into "permissions" ("name", "title", "group_name") values
      ('view-auth_clients', 'View Auth Clients', 'Auth Clients'),
      ('create-auth_clients', 'Create Auth Clients', 'Auth Clients'),
      ('edit-auth_clients', 'Edit Auth Clients', 'Auth Clients'),
      ('delete-auth_clients', 'Delete Auth Clients', 'Auth Clients');`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "group_permissions" drop constraint "group_permissions_group_id_foreign";`);

    this.addSql(`alter table "group_members" drop constraint "group_members_group_id_foreign";`);

    this.addSql(`alter table "group_permissions" drop constraint "group_permissions_permission_name_foreign";`);

    this.addSql(`alter table "user_permissions" drop constraint "user_permissions_permission_name_foreign";`);

    this.addSql(`alter table "group_members" drop constraint "group_members_user_id_foreign";`);

    this.addSql(`alter table "auth_clients" drop constraint "auth_clients_created_by_id_foreign";`);

    this.addSql(`alter table "user_permissions" drop constraint "user_permissions_user_id_foreign";`);

    this.addSql(`drop table if exists "crypto_keys" cascade;`);

    this.addSql(`drop table if exists "groups" cascade;`);

    this.addSql(`drop table if exists "oidc_payloads" cascade;`);

    this.addSql(`drop table if exists "permissions" cascade;`);

    this.addSql(`drop table if exists "group_permissions" cascade;`);

    this.addSql(`drop table if exists "settings" cascade;`);

    this.addSql(`drop table if exists "users" cascade;`);

    this.addSql(`drop table if exists "group_members" cascade;`);

    this.addSql(`drop table if exists "auth_clients" cascade;`);

    this.addSql(`drop table if exists "user_permissions" cascade;`);
  }

}
