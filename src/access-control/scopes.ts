// The scope catalogue: the OpenID Connect scopes and the API's own. A request to /graphql may do what the user's
// permissions allow AND the token's scopes cover; a scope never grants what the user lacks.
import { PERMISSIONS } from './permissions.js';

/** What a person reads for each scope, on the consent page and in the API's documentation. */
export const OIDC_SCOPES = {
  openid: 'Confirm who you are',
  profile: 'See your username',
  email: 'See your email address',
  offline_access: 'Keep access while you are not using it (refresh tokens)',
} as const;

export type OidcScope = keyof typeof OIDC_SCOPES;

interface ApiScope {
  description: string;
  /** The permissions this scope lets a token use (the user must still hold them). */
  covers: readonly string[];
}

// users:*, groups:* and audit_log:read are reserved for the features that add those permissions; naming their
// permissions here now means a token granted them today means the same thing then.
export const API_SCOPES = {
  'auth_clients:read': {
    description: 'See the auth clients',
    covers: [PERMISSIONS.viewAuthClients],
  },
  'auth_clients:write': {
    description: 'Create and change auth clients as you',
    covers: [PERMISSIONS.createAuthClients, PERMISSIONS.editAuthClients, PERMISSIONS.deleteAuthClients],
  },
  personal_access_tokens: {
    description: 'Create, see and revoke your personal access tokens',
    covers: [],
  },
  'users:read': { description: 'See users', covers: ['view-users'] },
  'users:write': { description: 'Create, change and delete users as you', covers: ['create-users', 'edit-users', 'delete-users'] },
  'groups:read': { description: 'See groups and their members', covers: ['view-groups'] },
  'groups:write': { description: 'Create, change and delete groups as you', covers: ['create-groups', 'edit-groups', 'delete-groups'] },
  'audit_log:read': { description: 'Read the audit log', covers: ['view-audit_log'] },
} as const satisfies Record<string, ApiScope>;

export type ApiScopeName = keyof typeof API_SCOPES;

export const API_SCOPE_NAMES = Object.keys(API_SCOPES) as ApiScopeName[];
export const OIDC_SCOPE_NAMES = Object.keys(OIDC_SCOPES) as OidcScope[];
/** Every scope the provider knows, in catalogue order. */
export const ALL_SCOPES: readonly string[] = [...OIDC_SCOPE_NAMES, ...API_SCOPE_NAMES];

const API_SCOPE_SET: ReadonlySet<string> = new Set(API_SCOPE_NAMES);
const ALL_SCOPE_SET: ReadonlySet<string> = new Set(ALL_SCOPES);

export const isApiScope = (scope: string): scope is ApiScopeName => API_SCOPE_SET.has(scope);
export const isKnownScope = (scope: string): boolean => ALL_SCOPE_SET.has(scope);

const COVERING = new Map<string, ApiScopeName>(
  API_SCOPE_NAMES.flatMap((scope) => API_SCOPES[scope].covers.map((permission): [string, ApiScopeName] => [permission, scope])),
);

/** The scope a token needs to use a permission. Every permission in the catalogue has exactly one. */
export function scopeCovering(permission: string): ApiScopeName {
  const scope = COVERING.get(permission);
  if (!scope) throw new Error(`No scope covers the permission ${permission}`);
  return scope;
}

export function describeScope(scope: string): string {
  return (OIDC_SCOPES as Record<string, string>)[scope] ?? (API_SCOPES as Record<string, ApiScope>)[scope]?.description ?? scope;
}

/** A space-separated scope parameter as a set (RFC 6749 §3.3). */
export function parseScope(scope: string | undefined | null): Set<string> {
  return new Set((scope ?? '').split(' ').filter(Boolean));
}
