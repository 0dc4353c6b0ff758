// Users: creating them with a hashed password, and checking credentials without revealing who exists.
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ValidationFailed, type Problem } from '../shared/errors.js';
import { isUniqueViolation, isUuid } from '../shared/db-errors.js';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from '../shared/passwords.js';
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
const MAX_PASSWORD_LENGTH = 1024;

export function validateUser(draft: UserDraft): Problem[] {
  const problems: Problem[] = [];
  if (!USERNAME.test(draft.username.trim())) {
    problems.push({ field: 'username', message: 'A username is 1 to 100 letters, digits, dots, dashes or underscores, starting with a letter or digit' });
  }
  if (draft.email.trim().length > 320 || !EMAIL.test(draft.email.trim())) {
    problems.push({ field: 'email', message: `"${draft.email}" is not an email address` });
  }
  if (draft.password.length < MIN_PASSWORD_LENGTH || draft.password.length > MAX_PASSWORD_LENGTH) {
    problems.push({ field: 'password', message: `A password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` });
  }
  return problems;
}

export class UserService {
  async create(em: EntityManager, draft: UserDraft): Promise<User> {
    const problems = validateUser(draft);
    if (problems.length > 0) throw new ValidationFailed(problems as [Problem, ...Problem[]]);
    const username = draft.username.trim();
    const email = draft.email.trim();
    const user = em.create(User, {
      username,
      email,
      passwordHash: await hashPassword(draft.password),
      isSuperAdmin: draft.isSuperAdmin ?? false,
    });
    try {
      await em.flush();
    } catch (error) {
      em.clear();
      if (isUniqueViolation(error, 'users_username_lower_unique')) throw ValidationFailed.of('username', `A user named "${username}" already exists`);
      if (isUniqueViolation(error, 'users_email_lower_unique')) throw ValidationFailed.of('email', `A user with the email "${email}" already exists`);
      throw error;
    }
    return user;
  }

  async findByUsername(em: EntityManager, username: string): Promise<User | null> {
    if (username.includes('\u0000')) return null;
    return em.findOne(User, { [raw((alias) => `lower(${alias}.username)`)]: username.trim().toLowerCase() });
  }

  /** An active user, or null; a user who is gone or deactivated signs nothing in. */
  async findActive(em: EntityManager, id: string): Promise<User | null> {
    if (!isUuid(id)) return null;
    return em.findOne(User, { id, isActive: true });
  }

  /**
   * The active user with these credentials, or null. Username or email, any case. Takes one argon2 verification
   * whether or not the user exists, so timing does not tell.
   */
  async authenticate(em: EntityManager, login: string, password: string): Promise<User | null> {
    const key = login.trim().toLowerCase();
    // PostgreSQL text cannot hold NUL; such a login can match nobody, so do not send it.
    const user = key === '' || key.includes('\u0000') ? null : await em.getConnection().execute<Array<{ id: string; password_hash: string; is_active: boolean }>>(
      'select id, password_hash, is_active from users where lower(username) = ? or lower(email) = ? limit 1',
      [key, key],
    ).then((rows) => rows[0] ?? null);
    const valid = await verifyPassword(password, user?.password_hash);
    if (!user || !valid || !user.is_active) return null;
    return em.findOne(User, { id: user.id });
  }
}
