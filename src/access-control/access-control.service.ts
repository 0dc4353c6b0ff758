// Who may do what: groups, grants of permissions to users and groups, and a user's effective permissions.
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  CLI_SOURCE, diffChanges, recordAuditEvent, type AuditSource,
} from '../audit/audit-log.service.js';
import type { SqlTransaction } from '../db/sql.js';
import { NotFound, PermissionDenied, ValidationFailed } from '../shared/errors.js';
import { flushOrExplain } from '../shared/db-errors.js';
import { Group } from '../users/group.entity.js';
import type { User } from '../users/user.entity.js';
import type { ViewerRecord } from '../users/user.service.js';
import { Permission } from './permission.entity.js';
import { PERMISSION_CATALOGUE } from './permissions.js';
import { invisibleCharactersProblem, normalizeName } from '../shared/text.js';

const ALL_PERMISSIONS: ReadonlySet<string> = new Set(PERMISSION_CATALOGUE.map((permission) => permission.name));

/** Who asks for a change of who may do what: the viewer of a request, or the CLI (a Super Admin's power). */
export interface Caller {
  /** The signed-in user; null for the CLI or an auth client acting as itself. */
  userId: string | null;
  isSuperAdmin: boolean;
  /** Effective permissions (every one for a Super Admin). */
  permissions: ReadonlySet<string>;
}

export const CLI_CALLER: Caller = Object.freeze({ userId: null, isSuperAdmin: true, permissions: ALL_PERMISSIONS });

/**
 * Anti-climbing: a caller who is not a Super Admin may only hand out, or take away, permissions they hold themself.
 * FORBIDDEN naming the first one they lack.
 */
export function checkHolds(caller: Caller, permissions: Iterable<string>, doing: string): void {
  if (caller.isSuperAdmin) return;
  const lacking = [...new Set(permissions)].filter((name) => !caller.permissions.has(name)).sort();
  if (lacking.length > 0) {
    throw new PermissionDenied(`You do not hold the permission "${lacking[0]}" yourself, so you cannot ${doing}`);
  }
}

/** The group name in normal form (normalizeName), or BAD_USER_INPUT on `name`. */
export function checkGroupName(rawName: string): string {
  const name = normalizeName(rawName);
  if (name === '' || name.length > 255) throw ValidationFailed.of('name', 'A group name is 1 to 255 characters');
  const invisible = invisibleCharactersProblem(name, 'A group name');
  if (invisible) throw ValidationFailed.of('name', invisible);
  return name;
}

/** A group's description, trimmed (empty: none), or BAD_USER_INPUT on `description`. */
export function checkGroupDescription(raw: string | null | undefined): string | null {
  const description = raw?.trim() ?? '';
  if (description.length > 1000 || description.includes('\u0000')) throw ValidationFailed.of('description', 'A description is at most 1000 characters');
  return description === '' ? null : description;
}

export const groupNameTaken = (name: string) => ValidationFailed.of('name', `A group named "${name}" already exists`);

export class AccessControlService {
  /**
   * Names of every permission the user holds, directly or through a group; Super Admins hold the whole catalogue,
   * which is code (the migrations seed the same rows, and a test keeps the two equal), so it is never read.
   */
  effectivePermissions(viewer: Pick<ViewerRecord, 'isSuperAdmin' | 'grantedPermissions'>): ReadonlySet<string> {
    return viewer.isSuperAdmin ? ALL_PERMISSIONS : new Set(viewer.grantedPermissions);
  }

  /** Creates a group, and its `group.created` audit event in the same transaction. */
  async createGroup(em: EntityManager, rawName: string, source: AuditSource = CLI_SOURCE, rawDescription?: string | null): Promise<Group> {
    const name = checkGroupName(rawName);
    const description = checkGroupDescription(rawDescription);
    return em.transactional(async (tx) => {
      const group = tx.create(Group, { name, description });
      await recordAuditEvent(tx, {
        ...source,
        action: 'group.created',
        target: { type: 'group', id: group.id },
        changes: diffChanges(null, description === null ? { name } : { name, description }),
      });
      await flushOrExplain(tx, { groups_name_lower_unique: () => groupNameTaken(name) });
      return group;
    });
  }

  /**
   * Replaces the permissions granted directly to a user, or to a group, inside `tx` (the caller has locked the holder's
   * row), with a `user.permissions_set` or `group.permissions_set` event when anything changed. Unknown names are
   * BAD_USER_INPUT on `permissions`; a caller who is not a Super Admin may neither add nor remove a permission they do
   * not hold themself (FORBIDDEN). Returns whether anything changed.
   */
  async setPermissions(
    tx: SqlTransaction,
    holder: { type: 'user' | 'group'; id: string },
    names: readonly string[],
    caller: Caller,
    source: AuditSource = CLI_SOURCE,
  ): Promise<boolean> {
    const next = [...new Set(names.map((name) => name.trim()))].sort();
    const unknown = next.filter((name) => !ALL_PERMISSIONS.has(name));
    if (unknown.length > 0) throw ValidationFailed.of('permissions', `There is no permission named "${unknown[0]}"`);
    const [table, column] = holder.type === 'user' ? ['user_permissions', 'user_id'] : ['group_permissions', 'group_id'];
    const current = (await tx.rows<{ name: string }>(`select permission_name as name from ${table} where ${column} = $1 order by 1`, [holder.id]))
      .map((row) => row.name);
    const added = next.filter((name) => !current.includes(name));
    const removed = current.filter((name) => !next.includes(name));
    checkHolds(caller, [...added, ...removed], 'grant or remove it');
    if (added.length === 0 && removed.length === 0) return false;
    if (removed.length > 0) await tx.run(`delete from ${table} where ${column} = $1 and permission_name = any($2)`, [holder.id, removed]);
    if (added.length > 0) {
      await tx.run(`insert into ${table} (${column}, permission_name) select $1, unnest($2::text[]) on conflict do nothing`, [holder.id, added]);
    }
    await recordAuditEvent(tx, {
      ...source,
      action: holder.type === 'user' ? 'user.permissions_set' : 'group.permissions_set',
      target: { type: holder.type, id: holder.id },
      changes: { permissions: { before: current, after: next } },
    });
    return true;
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
