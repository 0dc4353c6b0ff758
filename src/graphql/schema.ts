// Builds the executable schema: type-graphql resolvers wired to this app's services, wrapped in the shield rules.
import type { GraphQLSchema } from 'graphql';
import { applyMiddleware, applyMiddlewareToDeclaredResolvers } from 'graphql-middleware';
import { buildSchema, type ContainerType } from 'type-graphql';
import { AuthClientResolver } from '../auth-clients/auth-client.resolver.js';
import type { AuthClientService } from '../auth-clients/auth-client.service.js';
import { ViewerResolver } from '../users/viewer.resolver.js';
import { PersonalAccessTokenResolver } from '../personal-access-tokens/personal-access-token.resolver.js';
import type { PersonalAccessTokenService } from '../personal-access-tokens/personal-access-token.service.js';
import { AuditLogResolver } from '../audit/audit-log.resolver.js';
import type { AuditLog } from '../audit/audit-log.service.js';
import type { AccessControlService } from '../access-control/access-control.service.js';
import { UserResolver } from '../users/user.resolver.js';
import type { UserService } from '../users/user.service.js';
import { GroupResolver } from '../users/group.resolver.js';
import type { GroupService } from '../users/group.service.js';
import { timeBudget } from './limits.js';
import { rules } from './rules.js';
import { DateTimeISO } from './scalars.js';

export interface SchemaServices {
  authClients: AuthClientService;
  personalAccessTokens: PersonalAccessTokenService;
  auditLog: AuditLog;
  users: UserService;
  groups: GroupService;
  accessControl: AccessControlService;
}

const resolvers = [AuthClientResolver, ViewerResolver, PersonalAccessTokenResolver, AuditLogResolver, UserResolver, GroupResolver] as const;

/**
 * The schema as type-graphql emits it, without rules: what schema.graphql holds. type-graphql checks what it built
 * by running the introspection query on it; `selfCheck: false` skips that where the result is already known.
 */
export function buildBareSchema(services: SchemaServices, { selfCheck = true } = {}): Promise<GraphQLSchema> {
  const instances = new Map<unknown, unknown>([
    [AuthClientResolver, new AuthClientResolver(services.authClients)],
    [ViewerResolver, new ViewerResolver()],
    [PersonalAccessTokenResolver, new PersonalAccessTokenResolver(services.personalAccessTokens)],
    [AuditLogResolver, new AuditLogResolver(services.auditLog)],
    [UserResolver, new UserResolver(services.users, services.groups, services.accessControl)],
    [GroupResolver, new GroupResolver(services.groups, services.users, services.accessControl)],
  ]);
  const container: ContainerType = { get: (someClass) => instances.get(someClass) };
  return buildSchema({
    resolvers, container, validate: false, skipCheck: !selfCheck, scalarsMap: [{ type: Date, scalar: DateTimeISO }],
  });
}

/**
 * The service's schema. It comes from the code alone, so type-graphql's self-check gives every start the answer that
 * print-schema.ts (and with it test/schema.test.ts) already got; Apollo still asserts the schema valid on start. The
 * time budget (graphql/limits.ts) guards every field with a resolver of its own, inside the rules.
 */
export async function buildGraphQLSchema(services: SchemaServices): Promise<GraphQLSchema> {
  const bare = await buildBareSchema(services, { selfCheck: false });
  return applyMiddleware(applyMiddlewareToDeclaredResolvers(bare, timeBudget), rules);
}
