// MikroORM settings shared by the service, the CLI and the tests; only the connection differs between storage modes.
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { User } from './src/users/user.entity.js';
import { Group } from './src/users/group.entity.js';
import { Permission } from './src/access-control/permission.entity.js';
import { AuthClient } from './src/auth-clients/auth-client.entity.js';
import { AuthClientSecret } from './src/auth-clients/auth-client-secret.entity.js';
import { OidcPayload } from './src/oidc/oidc-payload.entity.js';
import { CryptoKey } from './src/oidc/crypto-key.entity.js';
import { OidcConsent } from './src/oidc/consent.entity.js';
import { Setting } from './src/db/setting.entity.js';
import { PersonalAccessToken } from './src/personal-access-tokens/personal-access-token.entity.js';
import { AuditEvent } from './src/audit/audit-event.entity.js';
import { SignInAttempt } from './src/users/sign-in-attempt.entity.js';

export const entities = [User, Group, Permission, AuthClient, AuthClientSecret, PersonalAccessToken, OidcPayload, OidcConsent, CryptoKey, Setting, AuditEvent, SignInAttempt];

/** Where to connect: a server URL, or the embedded database's socket folder. */
export type Connection =
  | { clientUrl: string }
  | { host: string; port: number; user: string; dbName: string };

export function ormConfig(connection: Connection, extra: Partial<Options> = {}): Options {
  return defineConfig({
    ...connection,
    entities,
    // The Migrator and the migrations list are added when something is to be migrated (src/db/orm.ts getMigrator).
    migrations: {
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      path: 'src/db/migrations',
      pathTs: 'src/db/migrations',
      emit: 'ts',
      silent: true,
    },
    // Errors are turned into safe messages by the API; the ORM must not print queries with their values.
    debug: false,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ...extra,
  });
}
