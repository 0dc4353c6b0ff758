// The CLI's commands for administrators and scripts: users, groups, permissions, auth clients, keys and tokens.
// Works in both storage modes, with or without the service running (see db/embedded.ts).
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { AccessControlService } from './access-control/access-control.service.js';
import { AuditLog, type AuditEventRecord } from './audit/audit-log.service.js';
import { AuthClientGrant } from './auth-clients/auth-client.entity.js';
import {
  AuthClientService, MAX_PREVIOUS_SECRET_EXPIRES_IN, settingsOf, type AuthClientRecord,
} from './auth-clients/auth-client.service.js';
import { AppKeyMismatch, checkAppKey, withBootstrapLock } from './bootstrap.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { NoChangeFeed, type ChangeFeed } from './db/change-feed.js';
import { migrate, openDatabase, resolveAppKey } from './db/orm.js';
import { describeStartupFailure } from './db/startup-failure.js';
import type { Sql } from './db/sql.js';
import { ClientStore } from './oidc/client-store.js';
import { WebOrigins } from './auth-clients/web-origins.js';
import { DomainError } from './shared/errors.js';
import { ensureProviderKeys, RETIRED_KEY_RETENTION_MS, rotateSigningKeys } from './oidc/keys.js';
import { PersonalAccessTokenService } from './personal-access-tokens/personal-access-token.service.js';
import { PersonalAccessTokenUsage } from './personal-access-tokens/personal-access-token.usage.js';
import { TokenCheck } from './oidc/token-check.js';
import { createLogger, describeError } from './shared/logger.js';
import { Secrets } from './shared/secrets.js';
import { UserService } from './users/user.service.js';

const USAGE = `Usage: npm run cli -- <command> [options] [--json]

Commands:
  user:create --username U --email E (--password P | --password-stdin) [--super-admin]
  group:create --name G
  group:add-user --group G --username U
  permission:grant (--username U | --group G | --client CLIENT_ID) --permission NAME
                       to a client: what it may do acting as itself (client_credentials grant)
  client:create --name N --grant authorization_code|password|personal_access|client_credentials [--grant ...] [--redirect-uri URL ...]
                [--scope S ...]  the API scopes it may ask for, e.g. auth_clients:read auth_clients:write
                [--skip-consent true|false] [--access-token-lifetime 1h] [--refresh-token-lifetime 30d]
                [--confidential false]  a public client (browser or native app): no secret, PKCE,
                                        only authorization_code and personal_access
  client:update --client ID [--name N] [--grant G ...] [--redirect-uri URL ...] [--scope S ...]
                [--skip-consent true|false] [--access-token-lifetime 1h] [--refresh-token-lifetime 30d]
                [--confidential true|false]  false ends its secrets and its code flow's refresh tokens;
                                             true gives a public client a secret, shown once
                       what is left out stays; removing a grant or scope revokes the tokens it covered
  client:disable --client ID   no new tokens; its tokens are refused until client:enable
  client:enable --client ID
  client:revoke-tokens --client ID   revokes every token, code, grant and personal access token of the client
  client:delete --client ID    deletes the client and everything it issued
  client:list [--json]         every client, by name, with its state and last use
  client:rotate-secret --client ID [--previous-expires-in 1d]
                       a new secret, printed once; the previous one keeps working for 0, 30m, 12h, 1d ... 30d (1d by default)
  keys:rotate          new signing keys become current; the old stay published until their tokens expire
  token:create --username U --client CLIENT_ID --name N [--scope S ...] [--expires-in 30d|12h]
                       a personal access token for U, through a client with the personal_access grant
  audit:list [--target ID]   the audit log, newest first; --target: only the changes to that client, user, group ...
  audit:prune --before DATE  deletes the audit events older than DATE (e.g. 2026-01-01); the prune itself is audited

--password-stdin reads the password from the first line of standard input, keeping it off the command line.
--json prints one JSON object on stdout.`;

/** A mistake in how the command was called: printed with the usage, exit code 2. */
class UsageError extends Error {}

const options = {
  username: { type: 'string' },
  email: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'super-admin': { type: 'boolean' },
  name: { type: 'string' },
  group: { type: 'string' },
  permission: { type: 'string' },
  grant: { type: 'string', multiple: true },
  'redirect-uri': { type: 'string', multiple: true },
  client: { type: 'string' },
  scope: { type: 'string', multiple: true },
  'expires-in': { type: 'string' },
  'skip-consent': { type: 'string' },
  confidential: { type: 'string' },
  'access-token-lifetime': { type: 'string' },
  'refresh-token-lifetime': { type: 'string' },
  'previous-expires-in': { type: 'string' },
  target: { type: 'string' },
  before: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

interface Services {
  config: Config;
  orm: MikroORM;
  sql: Sql;
  /** Never live: a short-lived process keeps nothing in memory, so every lookup reads the database. */
  changes: ChangeFeed;
  secrets: Secrets;
  users: UserService;
  accessControl: AccessControlService;
  authClients: AuthClientService;
  auditLog: AuditLog;
}

function required(values: Values, name: 'username' | 'email' | 'name' | 'group' | 'permission' | 'client'): string {
  const value = values[name];
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

const GRANTS: Record<string, AuthClientGrant> = {
  authorization_code: AuthClientGrant.AUTHORIZATION_CODE,
  password: AuthClientGrant.PASSWORD,
  personal_access: AuthClientGrant.PERSONAL_ACCESS,
  client_credentials: AuthClientGrant.CLIENT_CREDENTIALS,
};

const UNIT_SECONDS: Record<string, number> = {
  s: 1, m: 60, h: 3600, d: 86400,
};

/** A lifetime given as seconds or with a unit (90s, 15m, 1h, 30d), or undefined when the option is absent. */
function lifetimeOption(values: Values, name: 'access-token-lifetime' | 'refresh-token-lifetime'): number | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new UsageError(`--${name} is a number of seconds, or of minutes, hours or days with m, h or d: e.g. 3600, 1h, 30d`);
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
}

function booleanOption(values: Values, name: 'skip-consent' | 'confidential'): boolean | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new UsageError(`--${name} is true or false`);
  return value === 'true';
}

function grantsOption(values: Values): AuthClientGrant[] | undefined {
  return values.grant?.map((grant) => {
    const known = GRANTS[grant.trim().toLowerCase()];
    if (!known) throw new UsageError(`unknown --grant "${grant}"; use authorization_code, password, personal_access or client_credentials`);
    return known;
  });
}

/** A client as the client:* commands print it. */
function describeClient(authClient: AuthClientRecord) {
  return {
    id: authClient.id,
    enabled: authClient.enabled,
    ...settingsOf(authClient),
    lastUsedAt: authClient.lastUsedAt?.toISOString() ?? null,
    createdAt: authClient.createdAt.toISOString(),
  };
}

const DURATION_UNITS: Record<string, number> = {
  s: 1, m: 60, h: 3600, d: 86_400,
};

/** A duration such as 0, 90s, 30m, 12h or 1d, in seconds. */
function parseSeconds(text: string, option: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match || (match[2] === '' && match[1] !== '0')) throw new UsageError(`${option} is 0 or a number with a unit, e.g. 30m, 12h or 1d`);
  return Number(match[1]) * DURATION_UNITS[match[2] || 's']!;
}

type Command = (em: EntityManager, values: Values, services: Services) => Promise<{ result: object; text: string }>;

const commands: Record<string, Command> = {
  async 'user:create'(em, values, { users }) {
    if (values.password !== undefined && values['password-stdin']) throw new UsageError('give either --password or --password-stdin, not both');
    const password = values['password-stdin'] ? await readPasswordFromStdin() : values.password;
    if (password === undefined) throw new UsageError('--password or --password-stdin is required');
    const user = await users.create(em, {
      username: required(values, 'username'), email: required(values, 'email'), password, isSuperAdmin: values['super-admin'] ?? false,
    });
    return {
      result: { id: user.id, username: user.username },
      text: `Created ${user.isSuperAdmin ? 'the Super Admin' : 'the user'} "${user.username}" (${user.id})`,
    };
  },

  async 'group:create'(em, values, { accessControl }) {
    const group = await accessControl.createGroup(em, required(values, 'name'));
    return { result: { id: group.id, name: group.name }, text: `Created the group "${group.name}" (${group.id})` };
  },

  async 'group:add-user'(em, values, { accessControl, users }) {
    const group = await accessControl.findGroup(em, required(values, 'group'));
    const username = required(values, 'username');
    const user = await users.findByUsername(em, username);
    if (!user) throw new UsageError(`There is no user named "${username}"`);
    await accessControl.addMember(em, group, user);
    return {
      result: { group: group.name, username: user.username },
      text: `Added "${user.username}" to the group "${group.name}"`,
    };
  },

  async 'permission:grant'(em, values, { accessControl, users, authClients }) {
    const holders = [values.username, values.group, values.client].filter((value) => value !== undefined);
    if (holders.length !== 1) throw new UsageError('give exactly one of --username, --group and --client');
    const permission = await accessControl.findPermission(em, required(values, 'permission'));
    if (values.client !== undefined) {
      const authClient = await authClients.grantPermission(required(values, 'client'), permission.name);
      return {
        result: { permission: permission.name, client: authClient.id },
        text: `Granted ${permission.name} to the auth client "${authClient.name}" (${authClient.id})`,
      };
    }
    let holder;
    if (values.username !== undefined) {
      holder = await users.findByUsername(em, values.username);
      if (!holder) throw new UsageError(`There is no user named "${values.username}"`);
    } else {
      holder = await accessControl.findGroup(em, required(values, 'group'));
    }
    await accessControl.grant(em, holder, permission);
    const to = values.username !== undefined ? { username: values.username } : { group: values.group };
    return {
      result: { permission: permission.name, ...to },
      text: `Granted ${permission.name} to ${values.username !== undefined ? `the user "${values.username}"` : `the group "${values.group}"`}`,
    };
  },

  async 'client:create'(em, values, { authClients }) {
    const grants = grantsOption(values) ?? [];
    const { authClient, clientSecret } = await authClients.create({
      name: required(values, 'name'),
      grants,
      redirectUris: values['redirect-uri'] ?? [],
      scopes: values.scope ?? [],
      skipConsent: booleanOption(values, 'skip-consent'),
      accessTokenLifetime: lifetimeOption(values, 'access-token-lifetime'),
      refreshTokenLifetime: lifetimeOption(values, 'refresh-token-lifetime'),
      confidential: booleanOption(values, 'confidential'),
    });
    return {
      result: {
        id: authClient.id, name: authClient.name, grants: authClient.grants, redirectUris: authClient.redirectUris, scopes: authClient.scopes, secret: clientSecret,
        confidential: authClient.confidential,
      },
      text: clientSecret === null
        ? `Created the public auth client "${authClient.name}"\n  client_id:     ${authClient.id}\nIt has no secret: it signs users in with PKCE.`
        : `Created the auth client "${authClient.name}"\n  client_id:     ${authClient.id}\n  client_secret: ${clientSecret}\nThe secret is shown only this once.`,
    };
  },

  async 'client:update'(_em, values, { authClients }) {
    const id = required(values, 'client');
    const confidential = booleanOption(values, 'confidential');
    // A public client's secret is made by its own step, whose answer is the only place the secret appears.
    const current = confidential ? await authClients.findById(id) : null;
    const madeConfidential = current && !current.confidential ? await authClients.makeConfidential(id) : undefined;
    const authClient = await authClients.update(id, {
      confidential,
      name: values.name,
      grants: grantsOption(values),
      redirectUris: values['redirect-uri'],
      scopes: values.scope,
      skipConsent: booleanOption(values, 'skip-consent'),
      accessTokenLifetime: lifetimeOption(values, 'access-token-lifetime'),
      refreshTokenLifetime: lifetimeOption(values, 'refresh-token-lifetime'),
    });
    if (madeConfidential) {
      return {
        result: { ...describeClient(authClient), secret: madeConfidential.clientSecret },
        text: `Updated the auth client "${authClient.name}" (${authClient.id}); it is now confidential\n  client_secret: ${madeConfidential.clientSecret}\n`
          + 'The secret is shown only this once.',
      };
    }
    return { result: describeClient(authClient), text: `Updated the auth client "${authClient.name}" (${authClient.id})` };
  },

  async 'client:disable'(_em, values, { authClients }) {
    const authClient = await authClients.setEnabled(required(values, 'client'), false);
    return { result: describeClient(authClient), text: `Disabled the auth client "${authClient.name}": its tokens are refused until it is enabled` };
  },

  async 'client:enable'(_em, values, { authClients }) {
    const authClient = await authClients.setEnabled(required(values, 'client'), true);
    return { result: describeClient(authClient), text: `Enabled the auth client "${authClient.name}"` };
  },

  async 'client:revoke-tokens'(_em, values, { authClients }) {
    const { authClient, revokedCount } = await authClients.revokeTokens(required(values, 'client'));
    return {
      result: { ...describeClient(authClient), revokedCount },
      text: `Revoked ${revokedCount} token(s) of the auth client "${authClient.name}"`,
    };
  },

  async 'client:delete'(_em, values, { authClients }) {
    const id = required(values, 'client');
    await authClients.delete(id);
    return { result: { deletedAuthClientId: id }, text: `Deleted the auth client ${id} and everything it issued` };
  },

  async 'client:list'(_em, _values, { authClients }) {
    const clients: AuthClientRecord[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await authClients.list({ first: 100, after });
      clients.push(...page.items);
      if (!page.hasNextPage || page.items.length === 0) break;
      after = page.cursorOf(page.items[page.items.length - 1]!);
    }
    const lines = clients.map((authClient) => `${authClient.id}  ${authClient.enabled ? 'enabled ' : 'disabled'}  `
      + `last used ${authClient.lastUsedAt?.toISOString() ?? 'never'}  ${authClient.name}`);
    return { result: { authClients: clients.map(describeClient) }, text: lines.length > 0 ? lines.join('\n') : 'No auth clients' };
  },

  async 'token:create'(em, values, services) {
    const username = required(values, 'username');
    const user = await services.users.findByUsername(em, username);
    if (!user) throw new UsageError(`There is no user named "${username}"`);
    let expiresAt: Date | undefined;
    if (values['expires-in'] !== undefined) {
      const match = /^(\d+)([dh])$/.exec(values['expires-in'].trim());
      if (!match) throw new UsageError('--expires-in is a number of days or hours, e.g. 30d or 12h');
      expiresAt = new Date(Date.now() + Number(match[1]) * (match[2] === 'd' ? 24 : 1) * 3600 * 1000);
    }
    // Minting an access token takes the OIDC provider, built from the stored keys as the service builds it. Loaded
    // here only: importing it costs time the other commands need not spend.
    const { ProviderHost } = await import('./oidc/provider.js');
    const keys = await withBootstrapLock(services.orm, (tx) => ensureProviderKeys(tx, services.secrets));
    const providers = new ProviderHost({
      config: services.config,
      orm: services.orm,
      sql: services.sql,
      secrets: services.secrets,
      clients: new ClientStore(services.authClients, services.changes),
      changes: services.changes,
      webOrigins: new WebOrigins(services.sql, services.changes, services.config),
      users: services.users,
      authClients: services.authClients,
      logger: createLogger('silent'),
      // Nothing here checks a token: the provider only mints one.
      tokenCheck: new TokenCheck(services.users, new PersonalAccessTokenUsage(services.sql, services.secrets), services.secrets, services.changes, services.authClients),
    }, keys);
    const personalAccessTokens = new PersonalAccessTokenService(providers, services.config.personalAccessTokenMaxDays);
    // Run on the server by an operator: no token of theirs limits the scopes, only the client's allowed ones.
    const { personalAccessToken, token } = await personalAccessTokens.create(em, user, {
      name: required(values, 'name'), authClientId: required(values, 'client'), scopes: values.scope ?? [], expiresAt,
    }, null);
    return {
      result: { id: personalAccessToken.id, token },
      text: `Created the personal access token "${personalAccessToken.name}" for "${user.username}", valid until ${personalAccessToken.expiresAt.toISOString()}:\n  ${token}\nIt is shown only this once.`,
    };
  },

  async 'client:rotate-secret'(_em, values, { authClients }) {
    const previous = values['previous-expires-in'];
    const previousSecretExpiresIn = previous === undefined ? undefined : parseSeconds(previous, '--previous-expires-in');
    if (previousSecretExpiresIn !== undefined && previousSecretExpiresIn > MAX_PREVIOUS_SECRET_EXPIRES_IN) {
      throw new UsageError('--previous-expires-in is at most 30d');
    }
    const { authClient, clientSecret } = await authClients.rotateSecret(required(values, 'client'), previousSecretExpiresIn);
    const [, older] = authClient.secrets;
    return {
      result: { id: authClient.id, name: authClient.name, secret: clientSecret, secrets: authClient.secrets },
      text: `Rotated the secret of the auth client "${authClient.name}"\n  client_id:     ${authClient.id}\n  client_secret: ${clientSecret}\n`
        + `${older ? `The previous secret (${older.prefix}...) keeps working until ${new Date(older.expiresAt!).toISOString()}.` : 'The previous secret no longer works.'}\n`
        + 'The new secret is shown only this once.',
    };
  },

  async 'audit:list'(_em, values, { auditLog }) {
    const events: AuditEventRecord[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await auditLog.list({ first: 100, after, targetId: values.target ?? null });
      events.push(...page.items.map(({ occurredAtText: _text, ...event }: AuditEventRecord & { occurredAtText?: string }) => event));
      if (!page.hasNextPage || page.items.length === 0) break;
      after = page.cursorOf(page.items.at(-1)!);
    }
    const line = (event: AuditEventRecord) => [
      event.occurredAt.toISOString(),
      event.actorType === 'cli' ? 'cli' : `${event.actorType}:${event.actorId}`,
      event.action,
      `${event.targetType}${event.targetId ? `:${event.targetId}` : ''}`,
      event.ip ?? '',
      event.changes ? JSON.stringify(event.changes) : '',
    ].join('  ').trimEnd();
    return { result: { events }, text: events.length === 0 ? 'No audit events' : events.map(line).join('\n') };
  },

  async 'audit:prune'(_em, values, { auditLog }) {
    const text = values.before;
    if (text === undefined || text === '') throw new UsageError('--before is required');
    const before = new Date(text);
    if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(before.getTime())) throw new UsageError('--before is a date or time, e.g. 2026-01-01 or 2026-01-01T12:00:00Z');
    const deleted = await auditLog.prune(before);
    return {
      result: { deleted, before: before.toISOString() },
      text: `Deleted ${deleted} audit event${deleted === 1 ? '' : 's'} from before ${before.toISOString()}`,
    };
  },

  async 'keys:rotate'(em, _values, { secrets }) {
    const kids = await em.transactional((tx) => rotateSigningKeys(tx, secrets));
    return {
      result: { signingKeys: kids },
      text: `New signing keys ${kids.join(', ')} are current. Running instances switch within seconds; the old keys stay published for ${RETIRED_KEY_RETENTION_MS / 60000} minutes.`,
    };
  },
};

async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, options, allowPositionals: true, strict: true,
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const name = positionals[0];
  const command = name === undefined ? undefined : commands[name];
  if (values.help || !command || positionals.length > 1) {
    process.stderr.write(`${name && !command ? `Unknown command "${name}"\n\n` : ''}${USAGE}\n`);
    return values.help ? 0 : 2;
  }

  const report = (error: string, code: number) => {
    if (values.json) process.stdout.write(`${JSON.stringify({ error })}\n`);
    else process.stderr.write(`${error}\n`);
    return code;
  };

  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) return report(`Invalid configuration: ${error.message}`, 1);
    throw error;
  }

  let database;
  try {
    database = await openDatabase(config, 'cli');
  } catch (error) {
    return report(describeStartupFailure(error, config, 'Cannot open the database'), 1);
  }
  try {
    await migrate(database);
    const secrets = new Secrets(await resolveAppKey(config));
    const { orm, sql } = database;
    const changes = new NoChangeFeed();
    const services: Services = {
      config,
      orm,
      sql,
      changes,
      secrets,
      users: new UserService(sql, secrets),
      accessControl: new AccessControlService(),
      authClients: new AuthClientService(secrets, sql, changes),
      auditLog: new AuditLog(sql),
    };
    await withBootstrapLock(database.orm, (em) => checkAppKey(em, secrets));
    const { result, text } = await command(database.orm.em.fork(), values, services);
    process.stdout.write(`${values.json ? JSON.stringify(result) : text}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return report(error.message, 2);
    if (error instanceof DomainError || error instanceof AppKeyMismatch) return report(error.message, 1);
    // Anything else is named, never quoted: a database error's message can hold the statement with its values.
    const { errorClass, code, constraint } = describeError(error);
    return report(`Unexpected error (${[errorClass, code, constraint].filter(Boolean).join(', ')})`, 1);
  } finally {
    await database.close();
  }
}

process.exitCode = await run(process.argv.slice(2));
