// Liveness (/healthz) and readiness (/readyz). Liveness asks nothing of the database: a database outage is not cured by
// restarting the service (Kubernetes' convention), and the service recovers by itself once it is back. Readiness says
// whether this instance should get traffic: its database answers, it holds signing keys, and it is not shutting down.
import type express from 'express';
import type { Sql } from '../db/sql.js';
import { RETRY_AFTER_SECONDS } from '../shared/errors.js';

export interface ReadinessSources {
  sql: Sql;
  /** How many signing keys the provider now serves with. */
  signingKeys(): number;
  /** How long the database may take to answer readiness's query. */
  timeoutMs: number;
}

type Check = 'ok' | 'unavailable' | 'missing' | 'draining';

export class Health {
  #draining = false;

  constructor(private readonly sources: ReadinessSources) {}

  /** From now on not ready: the service is shutting down (it still finishes the requests under way). */
  drain(): void {
    this.#draining = true;
  }

  async #database(): Promise<Check> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Check>((resolve) => { timer = setTimeout(() => resolve('unavailable'), this.sources.timeoutMs); });
    try {
      return await Promise.race([this.sources.sql.run('select 1').then((): Check => 'ok', (): Check => 'unavailable'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  readonly live: express.RequestHandler = (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  };

  readonly ready: express.RequestHandler = async (_req, res) => {
    const checks: Record<string, Check> = {
      shutdown: this.#draining ? 'draining' : 'ok',
      database: this.#draining ? 'ok' : await this.#database(),
      signingKeys: this.sources.signingKeys() > 0 ? 'ok' : 'missing',
    };
    const ready = Object.values(checks).every((check) => check === 'ok');
    res.set('Cache-Control', 'no-store');
    if (!ready) res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS));
    res.json({ status: ready ? 'ready' : 'unavailable', checks });
  };
}
