// A named set of users; permissions granted to a group reach every member.
import {
  Collection, Entity, ManyToMany, Property, Unique,
} from '@mikro-orm/core';
import { BaseEntity } from '../db/base.entity.js';
import { User } from './user.entity.js';
import { Permission } from '../access-control/permission.entity.js';

@Entity({ tableName: 'groups' })
@Unique({ name: 'groups_name_lower_unique', expression: 'create unique index "groups_name_lower_unique" on "groups" (lower("name"))' })
export class Group extends BaseEntity {
  @Property({ length: 255 })
  name!: string;

  @ManyToMany({
    entity: () => User, owner: true, pivotTable: 'group_members', joinColumn: 'group_id', inverseJoinColumn: 'user_id',
  })
  members = new Collection<User>(this);

  @ManyToMany({
    entity: () => Permission, pivotTable: 'group_permissions', joinColumn: 'group_id', inverseJoinColumn: 'permission_name',
  })
  permissions = new Collection<Permission>(this);
}
