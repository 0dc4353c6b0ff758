// Composition root: builds the whole service (database, OIDC provider, GraphQL, HTTP routes) without listening.
import { createServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { MikroORM } from '@mikro-orm/postgresql';
import express from 'express';
import { OperationTypeNode } from 'graphql';
import type Provider from 'oidc-provider';
import type { Config } from './config.js';
import { bootstrap, type BootstrapResult } from './bootstrap.js';
import type { ChangeFeed } from './db/change-feed.js';
import { migrate, openDatabase, resolveAppKey } from './db/orm.js';
import { AccessControlService } from './access-control/access-control.service.js';
import { AuditLog } from './audit/audit-log.service.js';
import { AuthClientService } from './auth-clients/auth-client.service.js';
import { ensureAdminConsole } from './auth-clients/admin-console.js';
import { graphqlCors, WebOrigins } from './auth-clients/web-origins.js';
import { changesHeardBy, createContextFactory, type Context } from './graphql/context.js';
import { createFormatError, serviceUnavailableAs503 } from './graphql/format-error.js';
import { graphqlLimits } from './graphql/limits.js';
import { buildGraphQLSchema } from './graphql/schema.js';
import { deleteExpiredPayloads } from './oidc/adapter.js';
import { ClientStore } from './oidc/client-store.js';
import { ProviderHost } from './oidc/provider.js';
import { createInteractionRouter } from './oidc/interactions/router.js';
import { createLogger, describeError, type Logger } from './shared/logger.js';
import { Secrets } from './shared/secrets.js';
import { UserService } from './users/user.service.js';
import { PasswordAttempts } from './users/password-attempts.js';
import { GroupService } from './users/group.service.js';
import { PersonalAccessTokenService } from './personal-access-tokens/personal-access-token.service.js';
import { PersonalAccessTokenUsage } from './personal-access-tokens/personal-access-token.usage.js';
import { TokenCheck } from './oidc/token-check.js';
import { answeredAsUnavailable, useOperations } from './operations/routes.js';
import { consoleRoutes } from './console/routes.js';
import { ADMIN_CONSOLE_SCOPE, adminConsoleRedirectUris } from './auth-clients/admin-console.js';
import { createPlaygroundRouter } from './playground/routes.js';

export interface App {
  server: Server;
  orm: MikroORM;
  /** The provider serving now; replaced when the signing keys change. */
  readonly provider: Provider;
  /** Picks up keys rotated elsewhere now, rather than at the next poll; true when they had changed. */
  refreshKeys(): Promise<boolean>;
  /** What this instance hears of changes made anywhere (db/change-feed.ts). */
  changes: ChangeFeed;
  services: Services;
  createdAdmin: BootstrapResult['createdAdmin'];
  /** The built-in public client the console and GraphiQL sign in through (auth-clients/admin-console.ts). */
  adminConsole: { clientId: string };
  close(): Promise<void>;
}

export interface Services {
  users: UserService;
  accessControl: AccessControlService;
  groups: GroupService;
  authClients: AuthClientService;
  personalAccessTokens: PersonalAccessTokenService;
  auditLog: AuditLog;
}

/**
 * oidc-provider (Koa) believes X-Forwarded-* wholesale once told a proxy is in front; Express knows which hops
 * TRUST_PROXY trusts. Hand Koa only what Express concluded: scheme and client address. Hosts are never believed: URLs
 * come from PUBLIC_URL (oidc/provider.ts).
 */
function forwardedAsTrusted(req: express.Request, _res: express.Response, next: express.NextFunction): void {
  const { headers } = req;
  headers['x-forwarded-proto'] = req.protocol;
  delete headers['x-forwarded-host'];
  headers['x-forwarded-for'] = req.ip ?? req.socket.remoteAddress ?? '';
  next();
}

const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
// Instances start signing with rotated keys within this; the old keys stay published far longer.
const KEY_REFRESH_INTERVAL_MS = 10 * 1000;

export async function createApp(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<App> {
  const database = await openDatabase(config, 'service');
  let changes: ChangeFeed | undefined;
  try {
    const { orm, sql } = database;
    await migrate(database);
    const secrets = new Secrets(await resolveAppKey(config));
    changes = await database.openChangeFeed(logger);
    const passwordAttempts = new PasswordAttempts(sql, secrets, config.signInLimits);
    const users = new UserService(sql, secrets, passwordAttempts);
    const accessControl = new AccessControlService();
    const authClients = new AuthClientService(secrets, sql, changes, logger);
    const { keys, createdAdmin } = await bootstrap(orm, sql, config, secrets, users);
    const adminConsole = await ensureAdminConsole(orm, sql, config.publicUrl, logger);
    const clients = new ClientStore(authClients, changes);
    const webOrigins = new WebOrigins(sql, changes, config);
    // The one check of a token, which the provider and /graphql share; then the provider; then what mints through it.
    const tokenCheck = new TokenCheck(users, new PersonalAccessTokenUsage(sql, secrets), secrets, changes, authClients);
    const providers = new ProviderHost({
      config, orm, sql, secrets, clients, changes, logger, users, authClients, tokenCheck, webOrigins,
    }, keys);
    const services: Services = {
      users,
      accessControl,
      groups: new GroupService(sql, accessControl),
      authClients,
      personalAccessTokens: new PersonalAccessTokenService(providers, config.personalAccessTokenMaxDays),
      auditLog: new AuditLog(sql),
    };

    const app = express();
    app.disable('x-powered-by');
    // Express hashes every body it sends for an ETag, POST answers included, though nothing here is answered 304 from
    // one: a SHA-1 of each GraphQL response for nothing. Static files (the console) keep their own ETags.
    app.set('etag', false);
    const operations = useOperations(app, config, sql, () => providers.publicJwks.keys.length);
    if (config.trustProxy !== false) {
      app.set('trust proxy', config.trustProxy);
      app.use(forwardedAsTrusted);
    }
    const server = createServer(app);

    const limits = graphqlLimits(config.graphqlLimits);
    const apollo = new ApolloServer<Context>({
      schema: await buildGraphQLSchema(services),
      formatError: createFormatError(logger),
      includeStacktraceInErrorResponses: false,
      // Allowed here, refused per caller by the limits (anonymous callers in production); they also look the token up.
      introspection: true,
      parseOptions: limits.parseOptions,
      validationRules: limits.validationRules,
      // main.ts owns signal handling and stops everything in order.
      stopOnTerminationSignals: false,
      // No cache hints are used, and the default cache-control plugin costs time on every request.
      plugins: [
        // On close (SIGTERM), requests under way get SHUTDOWN_GRACE_MS to finish.
        ApolloServerPluginDrainHttpServer({ httpServer: server, stopGracePeriodMillis: config.shutdownGraceMs }),
        serviceUnavailableAs503,
        ApolloServerPluginCacheControlDisabled(),
        // Apollo would load its tracing protobufs at every start for this plugin, which only acts on a federated
        // subgraph's schema, never ours.
        ApolloServerPluginInlineTraceDisabled(),
        limits.plugin,
        // Browsers get our own GraphiQL instead (playground/routes.ts), which loads nothing from another origin.
        ApolloServerPluginLandingPageDisabled(),
        // A mutation answers only once this instance has heard its own changes: the caller's next request sees them.
        {
          requestDidStart: () => Promise.resolve({
            willSendResponse: async ({ operation, contextValue }) => {
              if (operation?.operation === OperationTypeNode.MUTATION) await (changesHeardBy(operation, contextValue) ?? changes!.sync());
            },
          }),
        },
      ],
    });
    await apollo.start();

    // Our sign-in and consent pages first, then oidc-provider, which parses its own bodies: before any body parser.
    app.use(createInteractionRouter({
      providers, orm, secrets, users: services.users, logger,
    }));
    // Every instance reloads its keys as soon as a rotation anywhere is announced (below), so all publish it at once.
    app.get('/oidc/jwks', async (_req, res) => {
      await providers.settled();
      // Public keys, readable by any page (as oidc-provider's own jwks route is): a browser app may check ID tokens.
      res.set({ 'Cache-Control': 'max-age=60', 'Access-Control-Allow-Origin': '*' }).type('application/jwk-set+json').send(JSON.stringify(providers.publicJwks));
    });
    app.use('/oidc', providers.callback);
    app.use(createPlaygroundRouter(config.publicUrl, config.graphqlLimits.schemaForAnonymous));
    app.use('/graphql', graphqlCors(webOrigins), express.json({ limit: '100kb' }), limits.beforeApollo, expressMiddleware(apollo, {
      context: createContextFactory({
        orm, providers, accessControl: services.accessControl, tokenCheck, graphqlUrl: `${config.publicUrl}/graphql`,
      }),
    }));
    app.use(consoleRoutes({
      config,
      clientId: () => adminConsole.clientId,
      scope: ADMIN_CONSOLE_SCOPE,
      redirectUri: adminConsoleRedirectUris(config.publicUrl).console,
    }));
    operations.mountRoutes(app);
    app.use((_req, res) => {
      res.status(404).json({ error: 'not_found' });
    });
    // Express's last resort, e.g. a malformed JSON body: a short answer, never a stack.
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      if (answeredAsUnavailable(error, res)) return;
      const given = (error as { status?: unknown }).status;
      const status = typeof given === 'number' && given >= 400 && given < 500 ? given : 500;
      if (status === 500) logger.error('Unhandled HTTP error', describeError(error));
      res.status(status).json({ error: status === 500 ? 'server_error' : 'invalid_request' });
    });

    const sweep = setInterval(() => {
      deleteExpiredPayloads(sql).catch((error: unknown) => logger.error('Sweeping expired tokens failed', describeError(error)));
      passwordAttempts.sweep().catch((error: unknown) => logger.error('Sweeping lapsed sign-in counts failed', describeError(error)));
    }, SWEEP_INTERVAL_MS);
    sweep.unref();
    const refreshKeys = () => providers.refresh();
    const reloadKeys = () => {
      refreshKeys().catch((error: unknown) => logger.error('Reloading keys failed', describeError(error)));
    };
    changes.on('crypto_keys', reloadKeys);
    // Also on a timer: a retired key leaves the published set after a while, and a change heard while the feed was
    // down would otherwise wait for the next one.
    const keyWatch = setInterval(reloadKeys, KEY_REFRESH_INTERVAL_MS);
    keyWatch.unref();

    return {
      server,
      orm,
      get provider() {
        return providers.current;
      },
      refreshKeys,
      changes,
      services,
      createdAdmin,
      adminConsole,
      async close() {
        operations.health.drain();
        operations.close();
        clearInterval(sweep);
        clearInterval(keyWatch);
        await apollo.stop(); // drains and closes the HTTP server too
        if (server.listening) await new Promise<void>((resolve) => { server.close(() => resolve()); });
        await changes?.close();
        await database.close();
      },
    };
  } catch (error) {
    await changes?.close();
    await database.close();
    throw error;
  }
}
