// The operations routes (/healthz, /readyz, /metrics) and request metrics, mounted on the service's Express app.
import type express from 'express';
import type { Config } from '../config.js';
import type { Sql } from '../db/sql.js';
import { isDatabaseUnavailable } from '../shared/db-errors.js';
import { RETRY_AFTER_SECONDS } from '../shared/errors.js';
import { Health } from './health.js';
import { measureRequests, metricsHandler, trackPool } from './metrics.js';

export interface Operations {
  /** Readiness: drain() on shutdown. */
  health: Health;
  /** Mounts the routes (after the service's own, before its 404). */
  mountRoutes(app: express.Express): void;
  /** Stops reporting this instance's pool. */
  close(): void;
}

/** Call first on the Express app: request metrics cover every route. */
export function useOperations(app: express.Express, config: Config, sql: Sql, signingKeys: () => number): Operations {
  app.use(measureRequests);
  const health = new Health({ sql, signingKeys, timeoutMs: Math.min(config.databaseStatementTimeoutMs, 2000) });
  const untrack = trackPool(() => sql.poolStats());
  return {
    health,
    mountRoutes(target) {
      target.get('/healthz', health.live);
      target.get('/readyz', health.ready);
      target.get('/metrics', metricsHandler(config.metricsToken));
    },
    close: untrack,
  };
}

/** For Express's last-resort error handler: a database that could not be asked is 503 with Retry-After, not a 500. */
export function answeredAsUnavailable(error: unknown, res: express.Response): boolean {
  if (!isDatabaseUnavailable(error)) return false;
  res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS)).json({ error: 'temporarily_unavailable' });
  return true;
}
