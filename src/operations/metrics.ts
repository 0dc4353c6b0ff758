// Prometheus metrics (prom-client) at /metrics: requests and their latency by route and outcome, tokens issued by grant
// type, sign-in failures, throttled attempts, the database pool, and Node's own process metrics. One registry per
// process: an instance is a process.
import { timingSafeEqual, createHash } from 'node:crypto';
import type express from 'express';
import {
  collectDefaultMetrics, Counter, Gauge, Histogram, Registry,
} from 'prom-client';

export const registry = new Registry();

const requests = new Counter({
  name: 'auth_clients_http_requests_total',
  help: 'HTTP requests answered, by route and outcome',
  labelNames: ['route', 'method', 'outcome'] as const,
  registers: [registry],
});

const latency = new Histogram({
  name: 'auth_clients_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route and outcome',
  labelNames: ['route', 'method', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const tokensIssued = new Counter({
  name: 'auth_clients_tokens_issued_total',
  help: 'Successful token endpoint answers, by grant type',
  labelNames: ['grant_type'] as const,
  registers: [registry],
});

const signInFailures = new Counter({
  name: 'auth_clients_sign_in_failures_total',
  help: 'Sign-ins refused for a wrong username or password or an inactive user, by where they were tried',
  labelNames: ['via'] as const,
  registers: [registry],
});

const throttledAttempts = new Counter({
  name: 'auth_clients_throttled_attempts_total',
  help: 'Attempts refused by brute-force throttling before they were checked, by where they were tried',
  labelNames: ['via'] as const,
  registers: [registry],
});

/** Where a sign-in was tried: the password grant at /oidc/token, or the sign-in page of the Authorization Code flow. */
export type SignInRoute = 'password_grant' | 'sign_in_page';

export function countSignInFailure(via: SignInRoute): void {
  signInFailures.inc({ via });
}

export function countThrottledAttempt(via: SignInRoute): void {
  throttledAttempts.inc({ via });
}

const GRANT_TYPES = new Set(['authorization_code', 'refresh_token', 'client_credentials', 'password']);

export function countTokenIssued(grantType: unknown): void {
  tokensIssued.inc({ grant_type: typeof grantType === 'string' && GRANT_TYPES.has(grantType) ? grantType : 'other' });
}

/** Connections of a database pool, as db/sql.ts reports them. */
export interface PoolStats {
  inUse: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
}

const pools = new Set<() => PoolStats>();
new Gauge({
  name: 'auth_clients_db_pool_connections',
  help: 'Database pool: connections in use, idle, and requests waiting for one',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    const total = { inUse: 0, idle: 0, waiting: 0 };
    for (const stats of pools) {
      const { inUse, idle, waiting } = stats();
      total.inUse += inUse;
      total.idle += idle;
      total.waiting += waiting;
    }
    this.set({ state: 'in_use' }, total.inUse);
    this.set({ state: 'idle' }, total.idle);
    this.set({ state: 'waiting' }, total.waiting);
  },
});

/** Reports this pool at /metrics until the returned function is called (the app closes). */
export function trackPool(stats: () => PoolStats): () => void {
  pools.add(stats);
  return () => { pools.delete(stats); };
}

let defaultsCollected = false;

// Fixed routes, and routes with an id in them under one name each: labels stay few whatever the paths.
const ROUTES: Array<[RegExp, string]> = [
  [/^\/graphql\/?$/, '/graphql'],
  [/^\/oidc\/token\/?$/, '/oidc/token'],
  [/^\/oidc\/token\/introspection\/?$/, '/oidc/token/introspection'],
  [/^\/oidc\/token\/revocation\/?$/, '/oidc/token/revocation'],
  [/^\/oidc\/jwks\/?$/, '/oidc/jwks'],
  [/^\/oidc\/auth\/?$/, '/oidc/auth'],
  [/^\/oidc\/auth\/[^/]+\/?$/, '/oidc/auth/:uid'],
  [/^\/oidc\/me\/?$/, '/oidc/me'],
  [/^\/oidc\/session\/end(\/confirm|\/success)?\/?$/, '/oidc/session/end'],
  [/^\/oidc\/\.well-known\/[^/]+$/, '/oidc/.well-known'],
  [/^\/oidc\/interaction\/[^/]+\/?$/, '/oidc/interaction/:uid'],
  [/^\/oidc\/interaction\/[^/]+\/(login|consent|abort)$/, '/oidc/interaction/:uid/$1'],
  [/^\/(healthz|readyz|metrics)$/, '/$1'],
];

export function routeOf(path: string): string {
  for (const [pattern, name] of ROUTES) {
    const match = pattern.exec(path);
    if (match) return name.replace('$1', match[1] ?? '');
  }
  return 'other';
}

function outcomeOf(status: number): string {
  if (status < 400) return 'success';
  if (status === 503) return 'unavailable';
  return status < 500 ? 'client_error' : 'server_error';
}

const METHODS = new Set(['GET', 'POST', 'HEAD', 'OPTIONS']);

/** Express middleware, first of all: times every request from its arrival to the end of its answer. */
export function measureRequests(req: express.Request, res: express.Response, next: express.NextFunction): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const labels = { route: routeOf(req.originalUrl.split('?')[0] ?? ''), method: METHODS.has(req.method) ? req.method : 'other', outcome: outcomeOf(res.statusCode) };
    requests.inc(labels);
    latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  });
  next();
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The /metrics handler: open when `token` is unset, otherwise only with `Authorization: Bearer <token>` (compared in
 * constant time).
 */
export function metricsHandler(token: string | undefined): express.RequestHandler {
  if (!defaultsCollected) {
    collectDefaultMetrics({ register: registry, prefix: 'auth_clients_' });
    defaultsCollected = true;
  }
  const expected = token === undefined ? undefined : digest(token);
  return async (req, res) => {
    if (expected) {
      const presented = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!presented || !timingSafeEqual(digest(presented), expected)) {
        res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').json({ error: 'unauthorized' });
        return;
      }
    }
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  };
}
