// A named set of users; permissions granted to a group reach every member.
import {
  Collection, Entity, Index, ManyToMany, Property, Unique,
} from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';
import { User } from './user.entity.js';
import { Permission } from '../access-control/permission.entity.js';

@Entity({ tableName: 'groups' })
@Unique({ name: 'groups_name_lower_unique', expression: 'create unique index "groups_name_lower_unique" on "groups" (lower("name"))' })
@Index({ name: 'groups_name_trgm', expression: 'create index "groups_name_trgm" on "groups" using gin (lower("name") gin_trgm_ops)' })
export class Group extends BaseEntity<'description'> {
  @Property({ length: 255 })
  name!: string;

  /** What the group is for, as its administrators describe it. */
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @ManyToMany({
    entity: () => User, owner: true, pivotTable: 'group_members', joinColumn: 'group_id', inverseJoinColumn: 'user_id',
  })
  members = new Collection<User>(this);

  @ManyToMany({
    entity: () => Permission, pivotTable: 'group_permissions', joinColumn: 'group_id', inverseJoinColumn: 'permission_name',
  })
  permissions = new Collection<Permission>(this);
}
