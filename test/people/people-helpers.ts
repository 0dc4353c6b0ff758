// What the people tests share: a console client the administrators sign in through, GraphQL as a given token, and
// what /graphql says to a token.
import { randomBytes } from 'node:crypto';
import { API_SCOPE_NAMES } from '../../src/access-control/scopes.js';
import type { TestApp } from '../helpers/app.js';
import { graphql } from '../helpers/graphql.js';

export const ALL = `openid profile email offline_access ${API_SCOPE_NAMES.join(' ')}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Data = Record<string, any>;

export const gqlOn = (t: TestApp, token: string, query: string, variables: Record<string, unknown> = {}) => graphql<Data>(t.url, query, variables, token);

export const errorOf = (result: { errors?: Array<{ message?: string; extensions?: Record<string, unknown> }> }) => (
  result.errors?.[0] ? { ...result.errors[0].extensions, message: result.errors[0].message } : undefined
);

/** The error code of a result, or OK. */
export const codeOf = (result: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => (result.errors?.[0]?.extensions?.code as string | undefined) ?? 'OK';

/** A password no policy refuses: long, random, unlike any username. */
export const strongPassword = () => `Tr0ub4dor-${randomBytes(9).toString('base64url')}`;

export const unique = () => randomBytes(4).toString('hex');

/** What /graphql says to a bearer token: OK, or the error code. */
export async function outcome(t: TestApp, token: string): Promise<string> {
  const result = await graphql<{ viewer: { username: string } | null }>(t.url, '{ viewer { username } }', {}, token);
  return result.errors?.[0]?.extensions?.code as string ?? (result.data?.viewer ? 'OK' : 'NO VIEWER');
}

export interface AuditEntry {
  action: string;
  actorId: string | null;
  changes: Data | null;
}

/** The audit events about `targetId`, newest first. */
export async function auditEventsOf(t: TestApp, token: string, targetId: string): Promise<AuditEntry[]> {
  const result = await gqlOn(t, token, 'query($targetId: String) { auditEvents(targetId: $targetId, first: 100) { edges { node { action actorId changes } } } }', { targetId });
  const edges: Array<{ node: AuditEntry }> = result.data!.auditEvents.edges;
  return edges.map(({ node }) => node);
}

export const USER_FIELDS = 'id username email isActive isSuperAdmin directPermissions effectivePermissions lastSignInAt groups { id name }';
