// Who may do what: groups, grants of permissions to users and groups, and a user's effective permissions.
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFound, ValidationFailed } from '../shared/errors.js';
import { flushOrExplain } from '../shared/db-errors.js';
import { Group } from '../users/group.entity.js';
import type { User } from '../users/user.entity.js';
import type { ViewerRecord } from '../users/user.service.js';
import { Permission } from './permission.entity.js';
import { PERMISSION_CATALOGUE } from './permissions.js';

const ALL_PERMISSIONS: ReadonlySet<string> = new Set(PERMISSION_CATALOGUE.map((permission) => permission.name));

export class AccessControlService {
  /**
   * Names of every permission the user holds, directly or through a group; Super Admins hold the whole catalogue,
   * which is code (the migrations seed the same rows, and a test keeps the two equal), so it is never read.
   */
  effectivePermissions(viewer: Pick<ViewerRecord, 'isSuperAdmin' | 'grantedPermissions'>): ReadonlySet<string> {
    return viewer.isSuperAdmin ? ALL_PERMISSIONS : new Set(viewer.grantedPermissions);
  }

  async createGroup(em: EntityManager, rawName: string): Promise<Group> {
    const name = rawName.trim();
    // eslint-disable-next-line no-control-regex
    if (name === '' || name.length > 255 || /[\u0000-\u001f\u007f]/.test(name)) throw ValidationFailed.of('name', 'A group name is 1 to 255 characters, without control characters');
    const group = em.create(Group, { name });
    await flushOrExplain(em, { groups_name_lower_unique: () => ValidationFailed.of('name', `A group named "${name}" already exists`) });
    return group;
  }

  async findGroup(em: EntityManager, name: string): Promise<Group> {
    const group = name.includes('\u0000') ? null : await em.findOne(Group, { [raw((alias) => `lower(${alias}.name)`)]: name.trim().toLowerCase() });
    if (!group) throw new NotFound(`There is no group named "${name}"`);
    return group;
  }

  async findPermission(em: EntityManager, name: string): Promise<Permission> {
    const permission = name.includes('\u0000') ? null : await em.findOne(Permission, { name: name.trim() });
    if (!permission) throw new NotFound(`There is no permission named "${name}"`);
    return permission;
  }

  async addMember(em: EntityManager, group: Group, user: User): Promise<void> {
    await group.members.init();
    group.members.add(user);
    await em.flush();
  }

  async grant(em: EntityManager, holder: User | Group, permission: Permission): Promise<void> {
    await holder.permissions.init();
    holder.permissions.add(permission);
    await em.flush();
  }
}
