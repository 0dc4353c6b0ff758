// Groups through the API: finding and listing them, renaming, deleting, their members and their permissions. Plain SQL
// as for auth clients; creating one goes through AccessControlService.createGroup, which the CLI uses too.
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  type AccessControlService, checkGroupDescription, checkGroupName, checkHolds, CLI_CALLER, groupNameTaken, type Caller,
} from '../access-control/access-control.service.js';
import { CLI_SOURCE, diffChanges, recordAuditEvent, type AuditSource } from '../audit/audit-log.service.js';
import type { Sql, SqlTransaction } from '../db/sql.js';
import { keysetPage, searchPattern, SqlConditions } from '../db/list-query.js';
import { isUniqueViolation, isUuid } from '../shared/db-errors.js';
import { NotFound, ValidationFailed } from '../shared/errors.js';
import {
  decodeCursor, encodeCursor, type Page,
} from '../shared/paging.js';
import { userNotFound } from './user.service.js';

export interface GroupRecord {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface GroupChanges {
  name?: string | null;
  /** Empty text removes it. */
  description?: string | null;
}

/** At most this many users are added or removed by one call. */
export const MAX_MEMBERS_PER_CALL = 100;

const GROUP_COLUMNS = 'g.id, g.name, g.description, g.created_at as "createdAt", g.updated_at as "updatedAt"';

export const groupNotFound = (id: string) => new NotFound(`There is no group with the id "${id}"`);
const cursorOf = (group: GroupRecord) => encodeCursor([group.name.toLowerCase()]);

export class GroupService {
  constructor(private readonly sql: Sql, private readonly accessControl: AccessControlService) {}

  async findById(id: string): Promise<GroupRecord | null> {
    if (!isUuid(id)) return null;
    return (await this.sql.one<GroupRecord>(`select ${GROUP_COLUMNS} from groups g where g.id = $1`, [id], { prepare: true })) ?? null;
  }

  /** One page of groups sorted by name (any case), optionally only those whose name holds `search` (any case). */
  list({ first, after, search }: { first: number; after?: string | null; search?: string | null }): Promise<Page<GroupRecord>> {
    const pattern = searchPattern(search);
    const [afterName] = after ? decodeCursor(after, 1, ([name]) => name!.length > 0) : [null];
    const filters = new SqlConditions();
    if (pattern) filters.add(`lower(g.name) like ${filters.param(pattern)}`);
    return keysetPage<GroupRecord>(this.sql, {
      columns: GROUP_COLUMNS, from: 'groups g', sortKey: 'lower(g.name)', filters, afterKey: afterName ?? null, first, cursorOf,
    });
  }

  async create(em: EntityManager, draft: { name: string; description?: string | null }, source: AuditSource = CLI_SOURCE): Promise<GroupRecord> {
    const group = await this.accessControl.createGroup(em, draft.name, source, draft.description);
    return (await this.findById(group.id))!;
  }

  async update(id: string, changes: GroupChanges, source: AuditSource = CLI_SOURCE): Promise<GroupRecord> {
    if (!isUuid(id)) throw groupNotFound(id);
    const name = changes.name === undefined || changes.name === null ? null : checkGroupName(changes.name);
    const description = changes.description === undefined ? undefined : checkGroupDescription(changes.description);
    return this.sql.transaction(async (tx) => {
      const current = await this.#lock(tx, id);
      const next = { name: name ?? current.name, description: description === undefined ? current.description : description };
      let row: GroupRecord | undefined;
      try {
        row = await tx.one<GroupRecord>(
          `update groups g set name = $2::text, description = $3::text,
             updated_at = case when (name::text, description) is not distinct from ($2::text, $3::text) then updated_at else now() end
           where g.id = $1 returning ${GROUP_COLUMNS}`,
          [id, next.name, next.description],
        );
      } catch (error) {
        if (isUniqueViolation(error, 'groups_name_lower_unique')) throw groupNameTaken(next.name);
        throw error;
      }
      const diff = diffChanges({ name: current.name, description: current.description }, next);
      if (Object.keys(diff).length > 0) await recordAuditEvent(tx, { ...source, action: 'group.updated', target: { type: 'group', id }, changes: diff });
      return row!;
    });
  }

  /**
   * Deletes the group: its members lose what it granted them, on their next request. A caller who is not a Super
   * Admin deletes only a group whose permissions they all hold (deleting takes them away from its members).
   */
  async delete(id: string, caller: Caller = CLI_CALLER, source: AuditSource = CLI_SOURCE): Promise<void> {
    if (!isUuid(id)) throw groupNotFound(id);
    await this.sql.transaction(async (tx) => {
      const current = await this.#lock(tx, id);
      checkHolds(caller, await this.#permissions(tx, id), 'delete a group that grants it');
      await tx.run('delete from groups where id = $1', [id]);
      await recordAuditEvent(tx, {
        ...source,
        action: 'group.deleted',
        target: { type: 'group', id },
        changes: { name: { before: current.name, after: null }, description: { before: current.description, after: null } },
      });
    });
  }

  /**
   * Adds users to the group; users already in it stay as they are (concurrent adds of one user leave one membership,
   * and one event). Unknown users are NOT_FOUND and add nobody. A caller who is not a Super Admin changes the members
   * only of a group whose permissions they all hold.
   */
  async addMembers(id: string, userIds: readonly string[], caller: Caller = CLI_CALLER, source: AuditSource = CLI_SOURCE): Promise<GroupRecord> {
    return this.#changeMembers(id, userIds, caller, async (tx, users) => {
      const added = await tx.rows<{ userId: string }>(
        `insert into group_members (group_id, user_id) select $1, unnest($2::uuid[]) on conflict do nothing returning user_id as "userId"`,
        [id, users.map((user) => user.id)],
      );
      return { rows: added, action: 'group.user_added' as const, before: null };
    }, source);
  }

  async removeMembers(id: string, userIds: readonly string[], caller: Caller = CLI_CALLER, source: AuditSource = CLI_SOURCE): Promise<GroupRecord> {
    return this.#changeMembers(id, userIds, caller, async (tx, users) => {
      const removed = await tx.rows<{ userId: string }>(
        'delete from group_members where group_id = $1 and user_id = any($2::uuid[]) returning user_id as "userId"',
        [id, users.map((user) => user.id)],
      );
      return { rows: removed, action: 'group.user_removed' as const, before: true };
    }, source);
  }

  async #changeMembers(
    id: string,
    userIds: readonly string[],
    caller: Caller,
    change: (tx: SqlTransaction, users: Array<{ id: string; username: string }>) => Promise<{
      rows: Array<{ userId: string }>; action: 'group.user_added' | 'group.user_removed'; before: true | null;
    }>,
    source: AuditSource,
  ): Promise<GroupRecord> {
    if (!isUuid(id)) throw groupNotFound(id);
    const ids = [...new Set(userIds)];
    if (ids.length > MAX_MEMBERS_PER_CALL) throw ValidationFailed.of('userIds', `At most ${MAX_MEMBERS_PER_CALL} users at a time`);
    const notAUuid = ids.find((userId) => !isUuid(userId));
    if (notAUuid !== undefined) throw userNotFound(notAUuid);
    return this.sql.transaction(async (tx) => {
      const group = await this.#lock(tx, id);
      checkHolds(caller, await this.#permissions(tx, id), 'change the members of a group that grants it');
      const users = await tx.rows<{ id: string; username: string }>('select id, username from users where id = any($1::uuid[])', [ids]);
      const missing = ids.find((userId) => !users.some((user) => user.id === userId));
      if (missing !== undefined) throw userNotFound(missing);
      const { rows, action, before } = await change(tx, users);
      for (const { userId } of rows) {
        const username = users.find((user) => user.id === userId)!.username;
        const member = { userId, username };
        await recordAuditEvent(tx, {
          ...source,
          action,
          target: { type: 'group', id },
          changes: { members: before ? { before: member, after: null } : { before: null, after: member } },
        });
      }
      return group;
    });
  }

  /** Replaces the group's permissions (see AccessControlService.setPermissions for the rules). */
  async setPermissions(id: string, permissions: readonly string[], caller: Caller = CLI_CALLER, source: AuditSource = CLI_SOURCE): Promise<GroupRecord> {
    if (!isUuid(id)) throw groupNotFound(id);
    return this.sql.transaction(async (tx) => {
      const group = await this.#lock(tx, id);
      await this.accessControl.setPermissions(tx, { type: 'group', id }, permissions, caller, source);
      return group;
    });
  }

  /** The permissions granted to each group, sorted. */
  async permissionsOf(ids: readonly string[]): Promise<Map<string, string[]>> {
    const valid = [...new Set(ids)].filter(isUuid);
    const rows = valid.length === 0 ? [] : await this.sql.rows<{ groupId: string; names: string[] }>(
      `select group_id as "groupId", array_agg(permission_name order by permission_name) as names
       from group_permissions where group_id = any($1::uuid[]) group by group_id`,
      [valid],
    );
    return new Map(rows.map((row) => [row.groupId, row.names]));
  }

  async memberCounts(ids: readonly string[]): Promise<Map<string, number>> {
    const valid = [...new Set(ids)].filter(isUuid);
    const rows = valid.length === 0 ? [] : await this.sql.rows<{ groupId: string; count: string }>(
      'select group_id as "groupId", count(*) from group_members where group_id = any($1::uuid[]) group by group_id',
      [valid],
    );
    return new Map(rows.map((row) => [row.groupId, Number(row.count)]));
  }

  /** The groups each user is in, sorted by name. */
  async groupsOf(userIds: readonly string[]): Promise<Map<string, GroupRecord[]>> {
    const valid = [...new Set(userIds)].filter(isUuid);
    const rows = valid.length === 0 ? [] : await this.sql.rows<GroupRecord & { userId: string }>(
      `select gm.user_id as "userId", ${GROUP_COLUMNS} from group_members gm join groups g on g.id = gm.group_id
       where gm.user_id = any($1::uuid[]) order by lower(g.name)`,
      [valid],
    );
    const groups = new Map<string, GroupRecord[]>();
    for (const { userId, ...group } of rows) groups.set(userId, [...groups.get(userId) ?? [], group]);
    return groups;
  }

  async #lock(tx: SqlTransaction, id: string): Promise<GroupRecord> {
    const group = await tx.one<GroupRecord>(`select ${GROUP_COLUMNS} from groups g where g.id = $1 for update`, [id]);
    if (!group) throw groupNotFound(id);
    return group;
  }

  async #permissions(tx: SqlTransaction, id: string): Promise<string[]> {
    return (await tx.rows<{ name: string }>('select permission_name as name from group_permissions where group_id = $1', [id])).map((row) => row.name);
  }
}
