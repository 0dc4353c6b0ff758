// graphql-shield rules for every field. Anything not listed is denied (fallbackRule), Super Admins included. A field
// needs the viewer's permission AND a token scope covering it (access-control/scopes.ts): a Super Admin signed in to a
// third-party app lends it only what its scopes say. A client-credentials token acts as its client, which holds only
// the permissions granted to it (client_permissions) and owns no user's things.
import { GraphQLError } from 'graphql';
import {
  allow, deny, rule, shield,
} from 'graphql-shield';
import { PERMISSIONS, type PermissionName } from '../access-control/permissions.js';
import { scopeCovering, type ApiScopeName } from '../access-control/scopes.js';
import type { Context } from './context.js';

const unauthenticated = () => new GraphQLError('Sign in first: send an access token as "Authorization: Bearer <token>"', {
  extensions: { code: 'UNAUTHENTICATED' },
});
const forbidden = (what: string) => new GraphQLError(`You do not have permission to ${what}`, {
  extensions: { code: 'FORBIDDEN' },
});
/** FORBIDDEN as RFC 6750's insufficient_scope: the user may, but this token was not given the scope. */
const scopeMissing = (scope: ApiScopeName) => new GraphQLError(`Your token lacks the scope "${scope}"; ask for it when signing in`, {
  extensions: { code: 'FORBIDDEN', requiredScope: scope },
});

/** FORBIDDEN for a client-credentials token on what only a user has, such as their own personal access tokens. */
const notAUser = () => new GraphQLError('This token acts as an auth client, not a user: sign in as a user for this', {
  extensions: { code: 'FORBIDDEN' },
});

const isSignedIn = rule('isSignedIn', { cache: 'contextual' })(
  (_parent, _args, { viewer }: Context) => (viewer ? true : unauthenticated()),
);

const TITLES: Record<PermissionName, string> = {
  'view-auth_clients': 'view auth clients (view-auth_clients)',
  'create-auth_clients': 'create auth clients (create-auth_clients)',
  'edit-auth_clients': 'edit auth clients (edit-auth_clients)',
  'delete-auth_clients': 'delete auth clients (delete-auth_clients)',
  'view-audit_log': 'view the audit log (view-audit_log)',
  'view-users': 'view users (view-users)',
  'create-users': 'create users (create-users)',
  'edit-users': 'edit users (edit-users)',
  'delete-users': 'delete users (delete-users)',
  'view-groups': 'view groups (view-groups)',
  'create-groups': 'create groups (create-groups)',
  'edit-groups': 'edit groups (edit-groups)',
  'delete-groups': 'delete groups (delete-groups)',
};

const canRules = new Map<PermissionName, ReturnType<ReturnType<typeof rule>>>();

/**
 * The token's scopes cover the permission, and the viewer holds it, directly, through a group, or as a Super Admin.
 * The scope is checked first: it is what the calling app can change. One rule per permission.
 */
function check(permission: PermissionName, viewer: Context['viewer']): true | GraphQLError {
  if (!viewer) return unauthenticated();
  const scope = scopeCovering(permission);
  if (!viewer.scopes.has(scope)) return scopeMissing(scope);
  if (viewer.user?.isSuperAdmin || viewer.permissions.has(permission)) return true;
  return forbidden(TITLES[permission]);
}

export function can(permission: PermissionName) {
  let canRule = canRules.get(permission);
  if (!canRule) {
    canRule = rule(`can:${permission}`, { cache: 'contextual' })((_parent, _args, { viewer }: Context) => check(permission, viewer));
    canRules.set(permission, canRule);
  }
  return canRule;
}

/** Signed in as a user (not a client acting as itself); for what every user may do to themself. */
const isSignedInUser = rule('isSignedInUser', { cache: 'contextual' })((_parent, _args, { viewer }: Context) => {
  if (!viewer) return unauthenticated();
  return viewer.user ? true : notAUser();
});

/**
 * The viewer themself (the user the argument `idArgument` names, or the parent User), signed in as a user, with no
 * scope needed; anyone else needs the permission, as `can` checks it.
 */
const selfOr = (permission: PermissionName, idArgument?: string) => rule(`selfOr:${idArgument ?? 'parent'}:${permission}`, { cache: 'strict' })(
  (parent: { id?: unknown } | undefined, args: Record<string, unknown>, { viewer }: Context) => {
    const id = idArgument ? args[idArgument] : parent?.id;
    if (viewer?.user && id === viewer.user.id) return true;
    return check(permission, viewer);
  },
);

/** Super Admins only, with a token holding the scope. */
const isSuperAdminWith = (scope: ApiScopeName) => rule(`isSuperAdminWith:${scope}`, { cache: 'contextual' })((_parent, _args, { viewer }: Context) => {
  if (!viewer) return unauthenticated();
  if (!viewer.scopes.has(scope)) return scopeMissing(scope);
  return viewer.user?.isSuperAdmin ? true : forbidden('make or unmake Super Admins (Super Admins only)');
});

/** Signed in as a user with a token holding the scope; for what every user may do to their own things. */
const holds = (scope: ApiScopeName) => rule(`holds:${scope}`, { cache: 'contextual' })((_parent, _args, { viewer }: Context) => {
  if (!viewer) return unauthenticated();
  if (!viewer.user) return notAUser();
  return viewer.scopes.has(scope) ? true : scopeMissing(scope);
});
const managesOwnTokens = holds('personal_access_tokens');

export const rules = shield({
  Query: {
    authClients: can(PERMISSIONS.viewAuthClients),
    authClient: can(PERMISSIONS.viewAuthClients),
    viewer: isSignedIn,
    // Anyone signed in manages their own tokens; the service only ever touches the viewer's.
    personalAccessTokens: managesOwnTokens,
    auditEvents: can(PERMISSIONS.viewAuditLog),
    users: can(PERMISSIONS.viewUsers),
    user: selfOr(PERMISSIONS.viewUsers, 'id'),
    groups: can(PERMISSIONS.viewGroups),
    group: can(PERMISSIONS.viewGroups),
    // The catalogue is no secret: whoever is signed in may read it (a client acting as itself too).
    permissions: isSignedIn,
  },
  Mutation: {
    createAuthClient: can(PERMISSIONS.createAuthClients),
    updateAuthClient: can(PERMISSIONS.editAuthClients),
    disableAuthClient: can(PERMISSIONS.editAuthClients),
    enableAuthClient: can(PERMISSIONS.editAuthClients),
    revokeAuthClientTokens: can(PERMISSIONS.editAuthClients),
    deleteAuthClient: can(PERMISSIONS.deleteAuthClients),
    rotateAuthClientSecret: can(PERMISSIONS.editAuthClients),
    revokeAuthClientSecret: can(PERMISSIONS.editAuthClients),
    makeAuthClientConfidential: can(PERMISSIONS.editAuthClients),
    createPersonalAccessToken: managesOwnTokens,
    revokePersonalAccessToken: managesOwnTokens,
    createUser: can(PERMISSIONS.createUsers),
    updateUser: can(PERMISSIONS.editUsers),
    // One's own password needs only a signed-in user (and currentPassword, which the service checks).
    setUserPassword: selfOr(PERMISSIONS.editUsers, 'id'),
    changeMyPassword: isSignedInUser,
    deleteUser: can(PERMISSIONS.deleteUsers),
    setUserPermissions: can(PERMISSIONS.editUsers),
    setSuperAdmin: isSuperAdminWith('users:write'),
    createGroup: can(PERMISSIONS.createGroups),
    updateGroup: can(PERMISSIONS.editGroups),
    deleteGroup: can(PERMISSIONS.deleteGroups),
    addGroupMembers: can(PERMISSIONS.editGroups),
    removeGroupMembers: can(PERMISSIONS.editGroups),
    setGroupPermissions: can(PERMISSIONS.editGroups),
  },
  // Objects reachable only through the guarded fields above.
  AuthClient: allow,
  AuthClientEdge: allow,
  AuthClientConnection: allow,
  PageInfo: allow,
  CreateAuthClientPayload: allow,
  RevokeAuthClientTokensPayload: allow,
  DeleteAuthClientPayload: allow,
  AuthClientSecret: allow,
  RotateAuthClientSecretPayload: allow,
  MakeAuthClientConfidentialPayload: allow,
  User: {
    '*': allow,
    // Reachable from viewer and an auth client's createdBy too: a user's groups are theirs, or for those who may see users.
    groups: selfOr(PERMISSIONS.viewUsers),
  },
  UserEdge: allow,
  UserConnection: allow,
  DeleteUserPayload: allow,
  Group: {
    '*': allow,
    // Reachable from a user's own groups: who else is in them is for those who may see groups.
    members: can(PERMISSIONS.viewGroups),
  },
  GroupEdge: allow,
  GroupConnection: allow,
  DeleteGroupPayload: allow,
  PermissionGroup: allow,
  Permission: allow,
  PersonalAccessToken: allow,
  PersonalAccessTokenClient: allow,
  PersonalAccessTokenEdge: allow,
  PersonalAccessTokenConnection: allow,
  CreatePersonalAccessTokenPayload: allow,
  AuditEvent: allow,
  AuditEventEdge: allow,
  AuditEventConnection: allow,
}, {
  fallbackRule: deny,
  fallbackError: () => forbidden('see this field'),
  // Resolver errors reach formatError, which decides what may be shown.
  allowExternalErrors: true,
});
