// Users: creating them with a hashed password, and checking credentials without revealing who exists.
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  CLI_SOURCE, diffChanges, recordAuditEvent, type AuditSource,
} from '../audit/audit-log.service.js';
import { checkHolds, CLI_CALLER, type Caller } from '../access-control/access-control.service.js';
import type { Sql, SqlTransaction } from '../db/sql.js';
import { keysetPage, searchPattern, SqlConditions } from '../db/list-query.js';
import { revokeUserPersonalAccessTokens, revokeUserTokens } from '../oidc/user-tokens.js';
import {
  NotFound, PermissionDenied, ValidationFailed, type Problem,
} from '../shared/errors.js';
import {
  flushOrExplain, isUniqueViolation, isUuid,
} from '../shared/db-errors.js';
import {
  decodeCursor, encodeCursor, type Page,
} from '../shared/paging.js';
import { passwordProblem, type PasswordOwner } from '../shared/password-policy.js';
import { hashPassword, verifyPassword } from '../shared/passwords.js';
import type { Secrets } from '../shared/secrets.js';
import type { PasswordAttempts } from './password-attempts.js';
import { User } from './user.entity.js';
import { invisibleCharactersProblem } from '../shared/text.js';

export interface UserDraft {
  username: string;
  email: string;
  password: string;
  isSuperAdmin?: boolean;
  /** True by default. */
  isActive?: boolean;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
// Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
// eslint-disable-next-line no-control-regex
const EMAIL = /^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+\.[^\s@\u0000-\u001f\u007f]+$/;

/** What is wrong with the username and email of `draft`. */
export function identityProblems(draft: Pick<UserDraft, 'username' | 'email'>): Problem[] {
  const problems: Problem[] = [];
  if (!USERNAME.test(draft.username.trim())) {
    problems.push({ field: 'username', message: 'A username is 1 to 100 letters, digits, dots, dashes or underscores, starting with a letter or digit' });
  }
  if (draft.email.trim().length > 320 || !EMAIL.test(draft.email.trim())) {
    problems.push({ field: 'email', message: `"${draft.email}" is not an email address` });
  } else {
    const invisible = invisibleCharactersProblem(draft.email, 'An email address');
    if (invisible) problems.push({ field: 'email', message: invisible });
  }
  return problems;
}

/** What is wrong with a new user: its username, email and password. */
export async function validateUser(draft: UserDraft): Promise<Problem[]> {
  return [...identityProblems(draft), ...await passwordProblems(draft.password, draft)];
}

/** What is wrong with `password` as a new password of this user (shared/password-policy.ts), on the field `password`. */
export async function passwordProblems(password: string, user: PasswordOwner, field = 'password'): Promise<Problem[]> {
  const problem = await passwordProblem(password, user);
  return problem ? [{ field, message: problem }] : [];
}

/** A user as the hot paths read them: no password hash, no ORM. */
export interface UserRecord {
  id: string;
  username: string;
  email: string;
  isSuperAdmin: boolean;
  createdAt: Date;
}

/** The user a token names, with what they may do, read in one query. */
export interface ViewerRecord extends UserRecord {
  /** Held directly or through groups; not listed for Super Admins, who hold every permission. */
  grantedPermissions: string[];
}

const USER_COLUMNS = 'u.id, u.username, u.email, u.is_super_admin as "isSuperAdmin", u.created_at as "createdAt"';

/** A ViewerRecord from `users u`: the user and the permissions granted to them, directly or through their groups. */
export const VIEWER_COLUMNS = `${USER_COLUMNS}, case when u.is_super_admin then '{}'::text[] else array(
    select permission_name from user_permissions where user_id = u.id
    union
    select gp.permission_name from group_permissions gp join group_members gm on gm.group_id = gp.group_id where gm.user_id = u.id
  ) end as "grantedPermissions"`;

/** A user as the people API shows them: the viewer's columns, whether they may sign in, and when they last did. */
export interface PersonRecord extends ViewerRecord {
  isActive: boolean;
  lastSignInAt: Date | null;
}

const PERSON_COLUMNS = `${VIEWER_COLUMNS}, u.is_active as "isActive", u.last_sign_in_at as "lastSignInAt"`;

/** What updateUser may change; anything left out stays. */
export interface UserChanges {
  username?: string | null;
  email?: string | null;
  isActive?: boolean | null;
}

export interface UserPageRequest {
  first: number;
  after?: string | null;
  /** Part of the username or the email, any case. */
  search?: string | null;
  isActive?: boolean | null;
  /** Only the members of this group. */
  groupId?: string | null;
}

export const userNotFound = (id: string) => new NotFound(`There is no user with the id "${id}"`);

// A cursor is the sort key of the last row seen: the lower-cased username, unique.
const cursorOf = (user: PersonRecord) => encodeCursor([user.username.toLowerCase()]);

// Transactions that could leave no active Super Admin take this lock, then count the others: two at once cannot both
// see the other one still there.
const LAST_SUPER_ADMIN_LOCK = 0x73757061;

export class UserService {
  /** `attempts`: the brute-force limits every password check goes through; needed to check passwords. */
  constructor(private readonly sql: Sql, private readonly secrets?: Secrets, private readonly attempts?: PasswordAttempts) {}

  /** Creates a user, and its `user.created` audit event in the same transaction. */
  async create(em: EntityManager, draft: UserDraft, source: AuditSource = CLI_SOURCE): Promise<User> {
    const problems = await validateUser(draft);
    if (problems.length > 0) throw new ValidationFailed(problems as [Problem, ...Problem[]]);
    const username = draft.username.trim();
    const email = draft.email.trim();
    // Hashed before the transaction opens: it takes milliseconds of CPU, and the transaction need not wait for them.
    const passwordHash = await hashPassword(draft.password);
    return em.transactional(async (tx) => {
      const user = tx.create(User, {
        username, email, passwordHash, isSuperAdmin: draft.isSuperAdmin ?? false, isActive: draft.isActive ?? true,
      });
      await recordAuditEvent(tx, {
        ...source,
        action: 'user.created',
        target: { type: 'user', id: user.id },
        changes: diffChanges(null, {
          username, email, isSuperAdmin: user.isSuperAdmin, ...(user.isActive ? {} : { isActive: false }),
        }),
      });
      await flushOrExplain(tx, {
        users_username_lower_unique: () => ValidationFailed.of('username', `A user named "${username}" already exists`),
        users_email_lower_unique: () => ValidationFailed.of('email', `A user with the email "${email}" already exists`),
      });
      return user;
    });
  }

  async findByUsername(em: EntityManager, username: string): Promise<User | null> {
    if (username.includes('\u0000')) return null;
    return em.findOne(User, { [raw((alias) => `lower(${alias}.username)`)]: username.trim().toLowerCase() });
  }

  /** An active user, or null; a user who is gone or deactivated signs nothing in. */
  async findActive(id: string): Promise<UserRecord | null> {
    if (!isUuid(id)) return null;
    return (await this.sql.one<UserRecord>(`select ${USER_COLUMNS} from users u where u.id = $1 and u.is_active`, [id], { prepare: true })) ?? null;
  }

  /** An active user and the permissions granted to them, directly or through their groups, in one round trip. */
  async findActiveViewer(id: string): Promise<ViewerRecord | null> {
    if (!isUuid(id)) return null;
    return (await this.sql.one<ViewerRecord>(
      `select ${VIEWER_COLUMNS} from users u where u.id = $1 and u.is_active`,
      [id],
      { prepare: true },
    )) ?? null;
  }

  /**
   * The active user with these credentials, or null. Username or email, any case. Takes one argon2 verification
   * whether or not the user exists, so timing does not tell. Under the brute-force limits (password-attempts.ts) for
   * the login as typed and the caller's address `ip`: TooManyAttempts, with nothing checked, once they refuse.
   */
  async authenticate(login: string, password: string, ip: string): Promise<UserRecord | null> {
    return this.#attempts().check(login, ip, () => this.#authenticate(login, password));
  }

  async #authenticate(login: string, password: string): Promise<UserRecord | null> {
    const key = login.trim().toLowerCase();
    // PostgreSQL text cannot hold NUL; such a login can match nobody, so do not send it.
    const user = key === '' || key.includes('\u0000') ? undefined : await this.sql.one<UserRecord & { passwordHash: string; isActive: boolean }>(
      `select ${USER_COLUMNS}, u.password_hash as "passwordHash", u.is_active as "isActive"
       from users u where lower(u.username) = $1 or lower(u.email) = $1 limit 1`,
      [key],
      { prepare: true },
    );
    const valid = await verifyPassword(password, user?.passwordHash);
    if (!user || !valid || !user.isActive) return null;
    return {
      id: user.id, username: user.username, email: user.email, isSuperAdmin: user.isSuperAdmin, createdAt: user.createdAt,
    };
  }

  /** Records a successful sign-in (the sign-in form, the password grant). */
  async recordSignIn(id: string): Promise<void> {
    await this.sql.run('update users set last_sign_in_at = now() where id = $1', [id], { prepare: true });
  }

  /** The user with this id, active or not, or null, also for an id that is not a UUID. */
  async findById(id: string): Promise<PersonRecord | null> {
    if (!isUuid(id)) return null;
    return (await this.sql.one<PersonRecord>(`select ${PERSON_COLUMNS} from users u where u.id = $1`, [id], { prepare: true })) ?? null;
  }

  async findByIds(ids: readonly string[]): Promise<Map<string, PersonRecord>> {
    const valid = [...new Set(ids)].filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows = await this.sql.rows<PersonRecord>(`select ${PERSON_COLUMNS} from users u where u.id = any($1::uuid[])`, [valid]);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** The permissions granted to each user directly (not through groups), sorted. */
  async directPermissionsOf(ids: readonly string[]): Promise<Map<string, string[]>> {
    const valid = [...new Set(ids)].filter(isUuid);
    const rows = valid.length === 0 ? [] : await this.sql.rows<{ userId: string; names: string[] }>(
      `select user_id as "userId", array_agg(permission_name order by permission_name) as names
       from user_permissions where user_id = any($1::uuid[]) group by user_id`,
      [valid],
    );
    return new Map(rows.map((row) => [row.userId, row.names]));
  }

  /**
   * One page of users sorted by username (any case), optionally only those whose username or email holds `search`
   * (any case; the trigram indexes serve it), only active or inactive ones, or only the members of a group.
   */
  list({
    first, after, search, isActive, groupId,
  }: UserPageRequest): Promise<Page<PersonRecord>> {
    const pattern = searchPattern(search);
    const [afterName] = after ? decodeCursor(after, 1, ([name]) => name!.length > 0) : [null];
    const filters = new SqlConditions();
    if (pattern) {
      const term = filters.param(pattern);
      filters.add(`(lower(u.username) like ${term} or lower(u.email) like ${term})`);
    }
    if (isActive !== undefined && isActive !== null) filters.add(`u.is_active = ${filters.param(isActive)}`);
    if (groupId) filters.add(`exists (select 1 from group_members gm where gm.user_id = u.id and gm.group_id = ${filters.param(groupId)})`);
    return keysetPage<PersonRecord>(this.sql, {
      columns: PERSON_COLUMNS, from: 'users u', sortKey: 'lower(u.username)', filters, afterKey: afterName ?? null, first, cursorOf,
    });
  }

  /**
   * Changes a user's username, email or active state. Deactivating ends their sessions and revokes their tokens and
   * personal access tokens in the same transaction; nobody deactivates themself, only a Super Admin changes a Super
   * Admin, and the last active Super Admin stays active.
   */
  async update(id: string, changes: UserChanges, caller: Caller = CLI_CALLER, source: AuditSource = CLI_SOURCE): Promise<PersonRecord> {
    if (!isUuid(id)) throw userNotFound(id);
    const username = changes.username?.trim() ?? null;
    const email = changes.email?.trim() ?? null;
    const problems = identityProblems({ username: username ?? 'placeholder', email: email ?? 'placeholder@example.com' })
      .filter((problem) => (problem.field === 'username' && username !== null) || (problem.field === 'email' && email !== null));
    if (problems.length > 0) throw new ValidationFailed(problems as [Problem, ...Problem[]]);
    return this.sql.transaction(async (tx) => {
      const current = await this.#lock(tx, id, caller);
      const next = {
        username: username ?? current.username,
        email: email ?? current.email,
        isActive: changes.isActive ?? current.isActive,
      };
      const deactivating = current.isActive && !next.isActive;
      if (deactivating) {
        if (caller.userId === id) throw new PermissionDenied('You cannot deactivate yourself');
        if (current.isSuperAdmin) await this.#keepAnActiveSuperAdmin(tx, id, 'deactivated');
      }
      let row: PersonRecord | undefined;
      try {
        row = await tx.one<PersonRecord>(
          `update users u set username = $2::text, email = $3::text, is_active = $4::boolean,
             updated_at = case when (username::text, email::text, is_active) = ($2::text, $3::text, $4::boolean) then updated_at else now() end
           where u.id = $1 returning ${PERSON_COLUMNS}`,
          [id, next.username, next.email, next.isActive],
        );
      } catch (error) {
        if (isUniqueViolation(error, 'users_username_lower_unique')) throw ValidationFailed.of('username', `A user named "${next.username}" already exists`);
        if (isUniqueViolation(error, 'users_email_lower_unique')) throw ValidationFailed.of('email', `A user with the email "${next.email}" already exists`);
        throw error;
      }
      if (deactivating) await this.#endEverything(tx, id);
      const diff = diffChanges({ username: current.username, email: current.email, isActive: current.isActive }, next);
      if (Object.keys(diff).length > 0) {
        await recordAuditEvent(tx, {
          ...source, action: 'user.updated', target: { type: 'user', id }, changes: diff,
        });
      }
      return row!;
    });
  }

  /**
   * Sets a user's password. With `currentPassword` required (a user changing their own), a wrong one is BAD_USER_INPUT
   * on `currentPassword`; otherwise the caller must be a Super Admin or hold every permission the user holds (else
   * setting the password would let them act with more than they have). Signs the user out of every other browser
   * session and revokes their refresh tokens.
   */
  async setPassword(
    id: string,
    password: string,
    options: {
      currentPassword?: string | null; requireCurrent: boolean; keepSessionUid?: string | null; field?: string;
      /** The caller's address: the current password's check counts against it, as a sign-in does. */
      ip?: string | null;
    },
    caller: Caller = CLI_CALLER,
    source: AuditSource = CLI_SOURCE,
  ): Promise<PersonRecord> {
    if (!isUuid(id)) throw userNotFound(id);
    const current = await this.sql.one<PersonRecord & { passwordHash: string }>(
      `select ${PERSON_COLUMNS}, u.password_hash as "passwordHash" from users u where u.id = $1`,
      [id],
    );
    if (!current) throw userNotFound(id);
    if (options.requireCurrent) {
      const given = options.currentPassword ?? '';
      // A guess at the password like any sign-in: the same limits, counted for the username.
      const right = await this.#attempts().check(current.username, options.ip ?? '', async () => (await verifyPassword(given, current.passwordHash)) || null);
      if (!right) throw ValidationFailed.of('currentPassword', 'The current password is not right');
    } else {
      checkMayActOn(caller, current, 'set their password');
    }
    const problems = await passwordProblems(password, current, options.field);
    if (problems.length > 0) throw new ValidationFailed(problems as [Problem, ...Problem[]]);
    const passwordHash = await hashPassword(password);
    return this.sql.transaction(async (tx) => {
      const row = await tx.one<PersonRecord>(
        `update users u set password_hash = $2, updated_at = now() where u.id = $1 returning ${PERSON_COLUMNS}`,
        [id, passwordHash],
      );
      if (!row) throw userNotFound(id);
      await revokeUserTokens(tx, this.#secrets(), id, { models: ['Session', 'RefreshToken'], keepSessionUid: options.keepSessionUid });
      await recordAuditEvent(tx, { ...source, action: 'user.password_changed', target: { type: 'user', id } });
      return row;
    });
  }

  /**
   * Deletes a user, ending everything they hold. Their audit events stay (they name the user by id), and the auth
   * clients they created lose their creator. Nobody deletes themself; the last active Super Admin stays.
   */
  async delete(id: string, caller: Caller = CLI_CALLER, source: AuditSource = CLI_SOURCE): Promise<void> {
    if (!isUuid(id)) throw userNotFound(id);
    await this.sql.transaction(async (tx) => {
      const current = await this.#lock(tx, id, caller);
      if (caller.userId === id) throw new PermissionDenied('You cannot delete yourself');
      if (current.isSuperAdmin && current.isActive) await this.#keepAnActiveSuperAdmin(tx, id, 'deleted');
      await this.#endEverything(tx, id);
      await tx.run('delete from users where id = $1', [id]);
      await recordAuditEvent(tx, {
        ...source,
        action: 'user.deleted',
        target: { type: 'user', id },
        changes: {
          username: { before: current.username, after: null },
          email: { before: current.email, after: null },
          isSuperAdmin: { before: current.isSuperAdmin, after: null },
        },
      });
    });
  }

  /** Makes or unmakes a Super Admin (the rules let only Super Admins ask); the last active one stays. */
  async setSuperAdmin(id: string, isSuperAdmin: boolean, caller: Caller = CLI_CALLER, source: AuditSource = CLI_SOURCE): Promise<PersonRecord> {
    if (!isUuid(id)) throw userNotFound(id);
    return this.sql.transaction(async (tx) => {
      const current = await this.#lock(tx, id, caller);
      if (current.isSuperAdmin && !isSuperAdmin && current.isActive) await this.#keepAnActiveSuperAdmin(tx, id, 'unmade');
      const row = (await tx.one<PersonRecord>(
        `update users u set is_super_admin = $2::boolean, updated_at = case when is_super_admin = $2::boolean then updated_at else now() end
         where u.id = $1 returning ${PERSON_COLUMNS}`,
        [id, isSuperAdmin],
      ))!;
      if (current.isSuperAdmin !== isSuperAdmin) {
        await recordAuditEvent(tx, {
          ...source, action: 'user.super_admin_set', target: { type: 'user', id }, changes: diffChanges({ isSuperAdmin: current.isSuperAdmin }, { isSuperAdmin }),
        });
      }
      return row;
    });
  }

  /** Replaces the permissions granted to the user directly (see AccessControlService.setPermissions for the rules). */
  async setPermissions(
    id: string,
    permissions: readonly string[],
    grants: { setPermissions: (tx: SqlTransaction, holder: { type: 'user'; id: string }, names: readonly string[], caller: Caller, source: AuditSource) => Promise<boolean> },
    caller: Caller = CLI_CALLER,
    source: AuditSource = CLI_SOURCE,
  ): Promise<PersonRecord> {
    if (!isUuid(id)) throw userNotFound(id);
    return this.sql.transaction(async (tx) => {
      await this.#lock(tx, id, caller);
      await grants.setPermissions(tx, { type: 'user', id }, permissions, caller, source);
      return (await tx.one<PersonRecord>(`select ${PERSON_COLUMNS} from users u where u.id = $1`, [id]))!;
    });
  }

  /** The user's row, locked for the rest of `tx`; NOT_FOUND when there is none, FORBIDDEN for a Super Admin unless the caller is one. */
  async #lock(tx: SqlTransaction, id: string, caller: Caller): Promise<PersonRecord> {
    const current = await tx.one<PersonRecord>(`select ${PERSON_COLUMNS} from users u where u.id = $1 for update`, [id]);
    if (!current) throw userNotFound(id);
    if (current.isSuperAdmin && !caller.isSuperAdmin) throw new PermissionDenied('Only a Super Admin can change a Super Admin');
    return current;
  }

  /** Refuses, inside `tx`, to leave no active Super Admin but `id`'s; race-proof (LAST_SUPER_ADMIN_LOCK). */
  async #keepAnActiveSuperAdmin(tx: SqlTransaction, id: string, becoming: string): Promise<void> {
    await tx.run('select pg_advisory_xact_lock($1)', [LAST_SUPER_ADMIN_LOCK]);
    const others = await tx.one<{ count: string }>('select count(*) from users where is_super_admin and is_active and id <> $1', [id]);
    if (Number(others?.count ?? 0) === 0) {
      throw new PermissionDenied(`This is the last active Super Admin, who cannot be ${becoming}: make another user Super Admin first`);
    }
  }

  async #endEverything(tx: SqlTransaction, id: string): Promise<void> {
    await revokeUserTokens(tx, this.#secrets(), id);
    await revokeUserPersonalAccessTokens(tx, id);
  }

  #attempts(): PasswordAttempts {
    if (!this.attempts) throw new Error('UserService needs the PasswordAttempts to check a password');
    return this.attempts;
  }

  #secrets(): Secrets {
    if (!this.secrets) throw new Error('UserService needs the Secrets to end a user\'s sessions and tokens');
    return this.secrets;
  }
}

/**
 * Anti-climbing: whoever is not a Super Admin acts on a user (setting their password) only if they hold every
 * permission that user holds; else they could sign in as them and use more than their own. FORBIDDEN otherwise.
 */
export function checkMayActOn(caller: Caller, target: Pick<ViewerRecord, 'isSuperAdmin' | 'grantedPermissions'>, doing: string): void {
  if (caller.isSuperAdmin) return;
  if (target.isSuperAdmin) throw new PermissionDenied(`Only a Super Admin can ${doing} for a Super Admin`);
  checkHolds(caller, target.grantedPermissions, `${doing} for a user who holds it`);
}
