// graphql-shield rules for every field. Anything not listed is denied (fallbackRule), Super Admins included.
import { GraphQLError } from 'graphql';
import {
  allow, deny, rule, shield,
} from 'graphql-shield';
import { PERMISSIONS, type PermissionName } from '../access-control/permissions.js';
import type { Context } from './context.js';

const unauthenticated = () => new GraphQLError('Sign in first: send an access token as "Authorization: Bearer <token>"', {
  extensions: { code: 'UNAUTHENTICATED' },
});
const forbidden = (what: string) => new GraphQLError(`You do not have permission to ${what}`, {
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
};

const canRules = new Map<PermissionName, ReturnType<ReturnType<typeof rule>>>();

/** The viewer holds the permission, directly, through a group, or as a Super Admin. One rule per permission. */
export function can(permission: PermissionName) {
  let canRule = canRules.get(permission);
  if (!canRule) {
    canRule = rule(`can:${permission}`, { cache: 'contextual' })((_parent, _args, { viewer }: Context) => {
      if (!viewer) return unauthenticated();
      if (viewer.user.isSuperAdmin || viewer.permissions.has(permission)) return true;
      return forbidden(TITLES[permission]);
    });
    canRules.set(permission, canRule);
  }
  return canRule;
}

export const rules = shield({
  Query: {
    authClients: can(PERMISSIONS.viewAuthClients),
    authClient: can(PERMISSIONS.viewAuthClients),
    viewer: isSignedIn,
    // Anyone signed in manages their own tokens; the service only ever touches the viewer's.
    personalAccessTokens: isSignedIn,
  },
  Mutation: {
    createAuthClient: can(PERMISSIONS.createAuthClients),
    createPersonalAccessToken: isSignedIn,
    revokePersonalAccessToken: isSignedIn,
  },
  // Objects reachable only through the guarded fields above.
  AuthClient: allow,
  AuthClientEdge: allow,
  AuthClientConnection: allow,
  PageInfo: allow,
  CreateAuthClientPayload: allow,
  User: allow,
  PersonalAccessToken: allow,
  PersonalAccessTokenClient: allow,
  PersonalAccessTokenEdge: allow,
  PersonalAccessTokenConnection: allow,
  CreatePersonalAccessTokenPayload: allow,
}, {
  fallbackRule: deny,
  fallbackError: () => forbidden('see this field'),
  // Resolver errors reach formatError, which decides what may be shown.
  allowExternalErrors: true,
});
