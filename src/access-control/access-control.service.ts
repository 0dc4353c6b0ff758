// Who may do what: groups, grants of permissions to users and groups, and a user's effective permissions.
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  CLI_SOURCE, diffChanges, recordAuditEvent, type AuditSource,
} from '../audit/audit-log.service.js';
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

  /** Creates a group, and its `group.created` audit event in the same transaction. */
  async createGroup(em: EntityManager, rawName: string, source: AuditSource = CLI_SOURCE): Promise<Group> {
    const name = rawName.trim();
    // eslint-disable-next-line no-control-regex
    if (name === '' || name.length > 255 || /[\u0000-\u001f\u007f]/.test(name)) throw ValidationFailed.of('name', 'A group name is 1 to 255 characters, without control characters');
    return em.transactional(async (tx) => {
      const group = tx.create(Group, { name });
      await recordAuditEvent(tx, {
        ...source, action: 'group.created', target: { type: 'group', id: group.id }, changes: diffChanges(null, { name }),
      });
      await flushOrExplain(tx, { groups_name_lower_unique: () => ValidationFailed.of('name', `A group named "${name}" already exists`) });
      return group;
    });
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

  /**
   * Adds the user to the group, with a `group.user_added` audit event in the same transaction; adding a member again
   * changes nothing and records nothing. Returns whether the user was added.
   */
  async addMember(em: EntityManager, group: Group, user: User, source: AuditSource = CLI_SOURCE): Promise<boolean> {
    return em.transactional(async (tx) => {
      const { affectedRows } = await tx.execute<{ affectedRows: number }>(
        'insert into group_members (group_id, user_id) values (?, ?) on conflict do nothing',
        [group.id, user.id],
        'run',
      );
      if (affectedRows === 0) return false;
      await recordAuditEvent(tx, {
        ...source,
        action: 'group.user_added',
        target: { type: 'group', id: group.id },
        changes: { members: { before: null, after: { userId: user.id, username: user.username } } },
      });
      return true;
    });
  }

  /**
   * Grants the permission to a user or a group, with a `permission.granted` audit event (target: the holder) in the
   * same transaction; granting it again changes nothing and records nothing. Returns whether it was granted.
   */
  async grant(em: EntityManager, holder: User | Group, permission: Permission, source: AuditSource = CLI_SOURCE): Promise<boolean> {
    const isGroup = holder instanceof Group;
    return em.transactional(async (tx) => {
      const { affectedRows } = await tx.execute<{ affectedRows: number }>(
        isGroup
          ? 'insert into group_permissions (group_id, permission_name) values (?, ?) on conflict do nothing'
          : 'insert into user_permissions (user_id, permission_name) values (?, ?) on conflict do nothing',
        [holder.id, permission.name],
        'run',
      );
      if (affectedRows === 0) return false;
      await recordAuditEvent(tx, {
        ...source,
        action: 'permission.granted',
        target: { type: isGroup ? 'group' : 'user', id: holder.id },
        changes: { permissions: { before: null, after: permission.name } },
      });
      return true;
    });
  }
}
