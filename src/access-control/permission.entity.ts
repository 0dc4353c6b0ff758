// One entry of the permission catalogue, e.g. `create-auth_clients`. The catalogue is seeded by migrations.
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'permissions' })
export class Permission {
  /** The machine name that rules check, e.g. `view-auth_clients`. */
  @PrimaryKey({ length: 100 })
  name!: string;

  /** What a person reads, e.g. "View Auth Clients". */
  @Property({ length: 255 })
  title!: string;

  /** The heading the permission is listed under, e.g. "Auth Clients". */
  @Property({ length: 255 })
  groupName!: string;
}
