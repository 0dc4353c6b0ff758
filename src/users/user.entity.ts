// A person who signs in: to the OIDC provider, and through its tokens to the GraphQL API.
import {
  Collection, Entity, Index, ManyToMany, Property, Unique,
} from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';
import { Group } from './group.entity.js';
import { Permission } from '../access-control/permission.entity.js';

@Entity({ tableName: 'users' })
// Usernames and emails are unique whatever their case, so "Alice" cannot sign up beside "alice".
@Unique({ name: 'users_username_lower_unique', expression: 'create unique index "users_username_lower_unique" on "users" (lower("username"))' })
@Unique({ name: 'users_email_lower_unique', expression: 'create unique index "users_email_lower_unique" on "users" (lower("email"))' })
// Serve the case-insensitive substring search of usernames and emails without reading the whole table (pg_trgm).
@Index({ name: 'users_username_trgm', expression: 'create index "users_username_trgm" on "users" using gin (lower("username") gin_trgm_ops)' })
@Index({ name: 'users_email_trgm', expression: 'create index "users_email_trgm" on "users" using gin (lower("email") gin_trgm_ops)' })
export class User extends BaseEntity<'isSuperAdmin' | 'isActive' | 'lastSignInAt'> {
  @Property({ length: 255 })
  username!: string;

  @Property({ length: 320 })
  email!: string;

  /** argon2id hash; never selected into a GraphQL type. */
  @Property({ type: 'text', hidden: true })
  passwordHash!: string;

  @Property({ default: false })
  isSuperAdmin: boolean = false;

  @Property({ default: true })
  isActive: boolean = true;

  /** When the user last signed in: a sign-in form or a password grant that succeeded. */
  @Property({ type: 'datetime', nullable: true })
  lastSignInAt?: Date | null;

  @ManyToMany(() => Group, (group) => group.members)
  groups = new Collection<Group>(this);

  @ManyToMany({
    entity: () => Permission, pivotTable: 'user_permissions', joinColumn: 'user_id', inverseJoinColumn: 'permission_name',
  })
  permissions = new Collection<Permission>(this);
}
