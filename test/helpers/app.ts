// Starts the real service, exactly as main.ts builds it, on a free port and a test database.
import { createServer } from 'node:net';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createApp, type App } from '../../src/app.js';
import type { ChangeChannel } from '../../src/db/change-feed.js';
import { parseConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/shared/logger.js';
import { createTestStorage, type TestStorage } from './storage.js';

export interface TestApp {
  app: App;
  config: Config;
  storage: TestStorage;
  url: string;
  issuer: string;
  /** A fresh EntityManager on the app's own database, to arrange what a test needs. */
  em(): EntityManager;
  /** Stops the service; the database stays. */
  stop(): Promise<void>;
}

/**
 * Resolves once `app` has heard a change on `channel` (call before making the change). A change reaches the other
 * instances a moment after its commit, not with it: a test of "the next request on another instance" starts there.
 */
export function heard(app: TestApp, channel: ChangeChannel): Promise<void> {
  return new Promise((resolve) => { app.app.changes.on(channel, () => resolve()); });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `logger`: to see what the service logs (else it logs at LOG_LEVEL, silent unless `env` says otherwise). */
export async function startApp(storage: TestStorage, env: Record<string, string> = {}, logger?: Logger): Promise<TestApp> {
  const port = await freePort();
  const config = parseConfig({
    LOG_LEVEL: 'silent', ...storage.env, PORT: String(port), ...env,
  });
  const app = await createApp(config, logger ?? createLogger(config.logLevel));
  await new Promise<void>((resolve) => { app.server.listen(config.port, '127.0.0.1', resolve); });
  return {
    app,
    config,
    storage,
    url: config.publicUrl,
    issuer: config.issuer,
    em: () => app.orm.em.fork(),
    stop: () => app.close(),
  };
}

/** The usual case: a test file's own database and service, torn down after the file. */
export function useTestApp(env: Record<string, string> = {}, logger?: Logger): { current: TestApp } {
  const holder = {} as { current: TestApp };
  let storage: TestStorage | undefined;
  beforeAll(async () => {
    storage = await createTestStorage();
    holder.current = await startApp(storage, env, logger);
  });
  afterAll(async () => {
    await holder.current?.stop();
    await storage?.dispose();
  });
  return holder;
}
