// The service process: load config, start the service, print the first admin's password once, stop cleanly on signals.
import 'reflect-metadata';
import { createApp } from './app.js';
import { AppKeyMismatch } from './bootstrap.js';
import { ConfigError, parseConfig } from './config.js';
import { describeStartupFailure } from './db/startup-failure.js';
import { createLogger, describeError } from './shared/logger.js';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

let config;
try {
  config = parseConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) fail(`Invalid configuration: ${error.message}`);
  throw error;
}

const logger = createLogger(config.logLevel);
const startedAt = performance.now();
let app;
try {
  app = await createApp(config, logger);
} catch (error) {
  if (error instanceof ConfigError) fail(`Invalid configuration: ${error.message}`);
  if (error instanceof AppKeyMismatch) fail(error.message);
  // Anything else too: one line naming the cause and the fix where it is known (a full or read-only data folder, a
  // damaged database, an unreachable server ...), never a stack.
  fail(describeStartupFailure(error, config, 'The service could not start'));
}

if (app.createdAdmin?.password) {
  // Shown once, on the console of the person starting the service; it is never logged or stored in plain text.
  process.stdout.write(`\nCreated the Super Admin "${app.createdAdmin.username}" with the password:\n\n    ${app.createdAdmin.password}\n\nIt is shown only this once.\n\n`);
} else if (app.createdAdmin) {
  logger.info('Created the Super Admin from ADMIN_USERNAME', { username: app.createdAdmin.username });
}

const { server } = app;
server.on('error', (error) => fail(`Cannot listen on port ${config.port}: ${error.message}`));
server.listen(config.port, () => {
  logger.info('Auth Clients service started', {
    url: config.publicUrl,
    graphql: `${config.publicUrl}/graphql`,
    issuer: config.issuer,
    database: config.databaseUrl ? 'server' : `embedded (${config.dataDir})`,
    startupMs: Math.round(performance.now() - startedAt),
  });
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    // Not ready from now on; no new connections; requests under way get SHUTDOWN_GRACE_MS to finish (app.close).
    logger.info('Stopping', { signal, graceMs: config.shutdownGraceMs });
    app.close().then(() => process.exit(0), (error: unknown) => {
      logger.error('Stopping failed', describeError(error));
      process.exit(1);
    });
  });
}
