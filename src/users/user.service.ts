// Users: creating them with a hashed password, and checking credentials without revealing who exists.
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  CLI_SOURCE, diffChanges, recordAuditEvent, type AuditSource,
} from '../audit/audit-log.service.js';
import type { Sql } from '../db/sql.js';
import { ValidationFailed, type Problem } from '../shared/errors.js';
import { flushOrExplain, isUuid } from '../shared/db-errors.js';
import { passwordProblem, type PasswordOwner } from '../shared/password-policy.js';
import { hashPassword, verifyPassword } from '../shared/passwords.js';
import { User } from './user.entity.js';

export interface UserDraft {
  username: string;
  email: string;
  password: string;
  isSuperAdmin?: boolean;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
// Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
// eslint-disable-next-line no-control-regex
const EMAIL = /^[^\s@\u0000-\u001f\u007f]+@[^\s@\u0000-\u001f\u007f]+\.[^\s@\u0000-\u001f\u007f]+$/;

export async function validateUser(draft: UserDraft): Promise<Problem[]> {
  const problems: Problem[] = [];
  if (!USERNAME.test(draft.username.trim())) {
    problems.push({ field: 'username', message: 'A username is 1 to 100 letters, digits, dots, dashes or underscores, starting with a letter or digit' });
  }
  if (draft.email.trim().length > 320 || !EMAIL.test(draft.email.trim())) {
    problems.push({ field: 'email', message: `"${draft.email}" is not an email address` });
  }
  problems.push(...await passwordProblems(draft.password, draft));
  return problems;
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

export class UserService {
  constructor(private readonly sql: Sql) {}

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
        username, email, passwordHash, isSuperAdmin: draft.isSuperAdmin ?? false,
      });
      await recordAuditEvent(tx, {
        ...source,
        action: 'user.created',
        target: { type: 'user', id: user.id },
        changes: diffChanges(null, { username, email, isSuperAdmin: user.isSuperAdmin }),
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
   * whether or not the user exists, so timing does not tell.
   */
  async authenticate(login: string, password: string): Promise<UserRecord | null> {
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
}
