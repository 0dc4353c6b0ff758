// Arranges users, groups, grants of permissions and auth clients through the app's own services.
import { randomBytes } from 'node:crypto';
import { AuthClientGrant } from '../../src/auth-clients/auth-client.entity.js';
import type { PermissionName } from '../../src/access-control/permissions.js';
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import type { User } from '../../src/users/user.entity.js';
import type { TestApp } from './app.js';

export interface TestUser {
  user: User;
  username: string;
  password: string;
}

export interface TestClient {
  id: string;
  secret: string;
}

const unique = () => randomBytes(4).toString('hex');

export async function createUser(
  t: TestApp,
  options: { permissions?: PermissionName[]; isSuperAdmin?: boolean; username?: string } = {},
): Promise<TestUser> {
  const em = t.em();
  const { users, accessControl } = t.app.services;
  const username = options.username ?? `user-${unique()}`;
  const password = `pw-${unique()}-${unique()}`;
  const user = await users.create(em, {
    username, email: `${username}@example.com`, password, isSuperAdmin: options.isSuperAdmin ?? false,
  });
  for (const name of options.permissions ?? []) {
    await accessControl.grant(em, user, await accessControl.findPermission(em, name));
  }
  return { user, username, password };
}

/** A group holding `permissions`, with `members` in it. */
export async function createGroup(t: TestApp, permissions: PermissionName[], members: TestUser[]): Promise<string> {
  const em = t.em();
  const { accessControl, users } = t.app.services;
  const group = await accessControl.createGroup(em, `group-${unique()}`);
  for (const name of permissions) await accessControl.grant(em, group, await accessControl.findPermission(em, name));
  for (const member of members) await accessControl.addMember(em, group, (await users.findByUsername(em, member.username))!);
  await settled(t);
  return group.name;
}

export async function createClient(
  t: TestApp,
  grants: AuthClientGrant[] = [AuthClientGrant.PASSWORD],
  redirectUris: string[] = [],
  scopes: readonly string[] = API_SCOPE_NAMES,
): Promise<TestClient> {
  const { authClient, clientSecret } = await t.app.services.authClients.create({
    name: `client-${unique()}`, grants, redirectUris, scopes,
  });
  return { id: authClient.id, secret: clientSecret! };
}

export async function setActive(t: TestApp, user: User, isActive: boolean): Promise<void> {
  const em = t.em();
  const managed = await em.findOneOrFail('User', { id: user.id }) as User;
  managed.isActive = isActive;
  await em.flush();
  await settled(t);
}

/**
 * Waits until the app has heard every change committed so far. The service's own writes wait for this before they
 * answer; a test that changes the database behind its back (services, SQL) does the same before its next request.
 */
export function settled(t: TestApp): Promise<void> {
  return t.app.changes.sync();
}

/** Changes the database in plain SQL, behind the service's back, and waits until the app has heard it. */
export async function changeInSql(t: TestApp, text: string, values: unknown[] = []): Promise<void> {
  await t.em().execute(text, values);
  await settled(t);
}
