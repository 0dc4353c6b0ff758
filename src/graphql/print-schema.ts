// Prints the GraphQL schema as SDL; `npm run schema:print > schema.graphql` refreshes the committed copy.
import 'reflect-metadata';
import { printSchema } from 'graphql';
import { AuthClientService } from '../auth-clients/auth-client.service.js';
import { NoChangeFeed } from '../db/change-feed.js';
import type { Sql } from '../db/sql.js';
import { Secrets } from '../shared/secrets.js';
import { AuditLog } from '../audit/audit-log.service.js';
import { buildBareSchema } from './schema.js';
import { PersonalAccessTokenService } from '../personal-access-tokens/personal-access-token.service.js';
import type { AccessTokenStore } from '../oidc/token-store.js';
import { AccessControlService } from '../access-control/access-control.service.js';
import { GroupService } from '../users/group.service.js';
import { UserService } from '../users/user.service.js';

export async function schemaSdl(): Promise<string> {
  // The schema's shape depends on neither keys nor a database: throwaway ones satisfy the constructors.
  const secrets = new Secrets('x'.repeat(32));
  const noDatabase = {} as Sql;
  const schema = await buildBareSchema({
    authClients: new AuthClientService(secrets, noDatabase, new NoChangeFeed()),
    personalAccessTokens: new PersonalAccessTokenService({} as AccessTokenStore, 365),
    auditLog: new AuditLog(noDatabase),
    users: new UserService(noDatabase, secrets),
    groups: new GroupService(noDatabase, new AccessControlService()),
    accessControl: new AccessControlService(),
  });
  return `${printSchema(schema)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(await schemaSdl());
}
