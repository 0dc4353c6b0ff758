// Environment variables -> a typed, validated Config. Pure: importing or calling it changes nothing.
import { isIP } from 'node:net';
import { resolve } from 'node:path';

/**
 * Which proxies in front of the service to believe about the client's address, scheme and host (X-Forwarded-*), as
 * Express's `trust proxy` setting: none, every hop, the nearest n hops, or the proxies with these addresses.
 */
export type TrustProxy = false | true | number | string[];

export interface Config {
  port: number;
  publicUrl: string;
  /** The OIDC issuer: `${publicUrl}/oidc`. */
  issuer: string;
  /** A PostgreSQL server; when absent the embedded database in `dataDir` is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** The master secret. Undefined only in embedded mode, where it is then kept in the data folder. */
  appKey: string | undefined;
  admin: { username: string; password: string } | undefined;
  /** Runs behind TLS-terminating proxies: which of them to believe. */
  trustProxy: TrustProxy;
  /** The longest a personal access token may live, and its default lifetime. */
  personalAccessTokenMaxDays: number;
  logLevel: 'silent' | 'error' | 'info';
  // Operations (README, "Operating it").
  /** How long the service waits for a database connection before answering 503. */
  databaseConnectTimeoutMs: number;
  /** How long a statement may run (and a frozen database may be waited for) before the request answers 503. */
  databaseStatementTimeoutMs: number;
  /** On SIGTERM, how long requests under way may take to finish before the service closes anyway. */
  shutdownGraceMs: number;
  /** When set, /metrics needs `Authorization: Bearer <this>`; unset, /metrics is open. */
  metricsToken: string | undefined;
  /** What one GraphQL request may ask (graphql/limits.ts). */
  graphqlLimits: GraphQLLimits;
  /** Brute-force protection of every password check (users/password-attempts.ts). */
  signInLimits: SignInLimits;
  /**
   * Browser origins (scheme://host[:port]) allowed to call /graphql and the token, userinfo and revocation endpoints,
   * beside the origins of public clients' redirect URIs (auth-clients/web-origins.ts).
   */
  corsOrigins: string[];
}

/** Caps on one GraphQL request, and who may see the schema. */
export interface GraphQLLimits {
  /** Tokens in the document: the parser stops at the first one over. */
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Fields the answer may hold, each list counted as full (`first`, or its default page size). */
  maxCost: number;
  /** Root fields of a mutation, i.e. changes, per request. */
  maxMutations: number;
  /** Occurrences of one field (one response name) in a selection set, checked before Apollo. */
  maxRepeatedFields: number;
  /** Past this, no further field is resolved. */
  timeoutMs: number;
  /** Introspection and "Did you mean" suggestions for callers without a valid token (off with NODE_ENV=production). */
  schemaForAnonymous: boolean;
}

/** How many password guesses a username and an address get (SIGN_IN_* variables). */
export interface SignInLimits {
  /** Failures of one username before it must wait. */
  maxFailures: number;
  /** The first wait; it doubles with each further failure... */
  lockSeconds: number;
  /** ...up to this. */
  maxLockSeconds: number;
  /** Failed attempts from one address (any usernames) within the window, after which it gets 429 until the window ends. */
  ipMaxFailures: number;
  ipWindowSeconds: number;
}

/** Names the variable at fault; main prints it as one line and exits. */
export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export const MIN_APP_KEY_LENGTH = 32;

type Env = Record<string, string | undefined>;

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function parsePort(env: Env): number {
  const raw = optional(env, 'PORT');
  if (raw === undefined) return 4000;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError('PORT', `must be a whole number from 0 to 65535, got "${raw}"`);
  const port = Number(raw);
  if (port > 65535) throw new ConfigError('PORT', `must be a whole number from 0 to 65535, got "${raw}"`);
  return port;
}

function parseHttpUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(name, 'must not carry a query, a fragment or credentials');
  }
  return url;
}

function parseDatabaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL');
  }
  if (url.pathname.length <= 1) throw new ConfigError('DATABASE_URL', 'must name a database, as in postgres://user@host:5432/name');
  return raw;
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One entry of a TRUST_PROXY list: an address, an address/prefix, or one of Express's names for address ranges. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) ? Number(prefix) <= (family === 4 ? 32 : 128) : family === 4 && isIP(prefix) === 4;
}

/** Express's `trust proxy`: false, true (every hop), a hop count, or the proxies' addresses. */
function parseTrustProxy(env: Env): TrustProxy {
  const raw = optional(env, 'TRUST_PROXY');
  if (raw === undefined || /^false$/i.test(raw)) return false;
  if (/^true$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 100) throw new ConfigError('TRUST_PROXY', `is a number of proxy hops from 0 to 100, got "${raw}"`);
    return hops === 0 ? false : hops;
  }
  const addresses = raw.split(',').map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  const wrong = addresses.find((entry) => !isProxyAddress(entry));
  if (wrong !== undefined || addresses.length === 0) {
    throw new ConfigError('TRUST_PROXY', `must be true, false, a number of hops, or a comma-separated list of proxy addresses (10.0.0.1, 10.0.0.0/8, loopback, ...); "${wrong ?? raw}" is none of these`);
  }
  return addresses;
}

/** A whole number variable from `min` to `max`, `fallback` when unset. */
function wholeNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** Operations: database timeouts, the shutdown grace, who may read /metrics. */
function parseOperations(env: Env): Pick<Config, 'databaseConnectTimeoutMs' | 'databaseStatementTimeoutMs' | 'shutdownGraceMs' | 'metricsToken'> {
  const metricsToken = optional(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters (try: openssl rand -base64 24)');
  return {
    databaseConnectTimeoutMs: wholeNumber(env, 'DATABASE_CONNECT_TIMEOUT_MS', 2000, 100, 600_000),
    databaseStatementTimeoutMs: wholeNumber(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 3000, 100, 3_600_000),
    shutdownGraceMs: wholeNumber(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 3_600_000),
    metricsToken,
  };
}

function parseGraphQLLimits(env: Env): GraphQLLimits {
  return {
    maxTokens: wholeNumber(env, 'GRAPHQL_MAX_TOKENS', 1000, 100, 100_000),
    maxDepth: wholeNumber(env, 'GRAPHQL_MAX_DEPTH', 10, 2, 100),
    maxAliases: wholeNumber(env, 'GRAPHQL_MAX_ALIASES', 15, 0, 10_000),
    maxDirectives: wholeNumber(env, 'GRAPHQL_MAX_DIRECTIVES', 20, 0, 10_000),
    maxCost: wholeNumber(env, 'GRAPHQL_MAX_COST', 10_000, 10, 100_000_000),
    maxMutations: wholeNumber(env, 'GRAPHQL_MAX_MUTATIONS', 5, 1, 1000),
    maxRepeatedFields: wholeNumber(env, 'GRAPHQL_MAX_REPEATED_FIELDS', 10, 1, 10_000),
    timeoutMs: wholeNumber(env, 'GRAPHQL_TIMEOUT_MS', 10_000, 1, 600_000),
    schemaForAnonymous: optional(env, 'NODE_ENV') !== 'production',
  };
}

const DAY_SECONDS = 86400;

function parseSignInLimits(env: Env): SignInLimits {
  const lockSeconds = wholeNumber(env, 'SIGN_IN_LOCK_SECONDS', 30, 1, DAY_SECONDS);
  return {
    maxFailures: wholeNumber(env, 'SIGN_IN_MAX_FAILURES', 5, 1, 1000),
    lockSeconds,
    maxLockSeconds: wholeNumber(env, 'SIGN_IN_MAX_LOCK_SECONDS', Math.max(900, lockSeconds), lockSeconds, DAY_SECONDS),
    ipMaxFailures: wholeNumber(env, 'SIGN_IN_IP_MAX_FAILURES', 100, 1, 1_000_000),
    ipWindowSeconds: wholeNumber(env, 'SIGN_IN_IP_WINDOW_SECONDS', 900, 1, DAY_SECONDS),
  };
}

/** CORS_ORIGINS: a comma-separated list of origins, each in its serialised form (lower-case, no default port). */
function parseCorsOrigins(env: Env): string[] {
  const raw = optional(env, 'CORS_ORIGINS');
  if (raw === undefined) return [];
  const origins = new Set<string>();
  for (const entry of raw.split(',').map((part) => part.trim()).filter(Boolean)) {
    if (entry === '*' || entry.includes('*')) {
      throw new ConfigError('CORS_ORIGINS', 'lists origins one by one; a wildcard (*) is not accepted');
    }
    const url = URL.parse(entry);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ConfigError('CORS_ORIGINS', `must list http(s) origins such as https://app.example.com, got "${entry}"`);
    }
    if (url.username || url.password || url.search || url.hash || url.pathname !== '/' || /[?#]/.test(entry)) {
      throw new ConfigError('CORS_ORIGINS', `must list origins only (scheme, host and port, no path), got "${entry}"`);
    }
    origins.add(url.origin);
  }
  return [...origins];
}

export function parseConfig(env: Env, cwd = process.cwd()): Config {
  const port = parsePort(env);
  const publicUrl = parseHttpUrl('PUBLIC_URL', optional(env, 'PUBLIC_URL') ?? `http://localhost:${port}`)
    .href.replace(/\/+$/, '');
  const databaseUrl = parseDatabaseUrl(optional(env, 'DATABASE_URL'));

  const appKey = optional(env, 'APP_KEY');
  if (appKey !== undefined && appKey.length < MIN_APP_KEY_LENGTH) {
    throw new ConfigError('APP_KEY', `must be at least ${MIN_APP_KEY_LENGTH} characters (try: openssl rand -base64 48)`);
  }
  if (appKey === undefined && databaseUrl !== undefined) {
    throw new ConfigError('APP_KEY', 'is required when DATABASE_URL is set, and must be the same on every instance (try: openssl rand -base64 48)');
  }

  const adminUsername = optional(env, 'ADMIN_USERNAME');
  const adminPassword = optional(env, 'ADMIN_PASSWORD');
  if ((adminUsername === undefined) !== (adminPassword === undefined)) {
    throw new ConfigError(adminUsername === undefined ? 'ADMIN_USERNAME' : 'ADMIN_PASSWORD', 'must be set together with the other of ADMIN_USERNAME and ADMIN_PASSWORD');
  }
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD', 'must be at least 8 characters');
  }

  const patDays = optional(env, 'PAT_MAX_LIFETIME_DAYS') ?? '365';
  if (!/^\d+$/.test(patDays.trim()) || Number(patDays) < 1 || Number(patDays) > 3650) {
    throw new ConfigError('PAT_MAX_LIFETIME_DAYS', `must be a whole number of days from 1 to 3650, got "${patDays}"`);
  }

  const logLevel = optional(env, 'LOG_LEVEL') ?? 'info';
  if (logLevel !== 'silent' && logLevel !== 'error' && logLevel !== 'info') {
    throw new ConfigError('LOG_LEVEL', `must be one of silent, error, info, got "${logLevel}"`);
  }

  return {
    port,
    publicUrl,
    issuer: `${publicUrl}/oidc`,
    databaseUrl,
    dataDir: resolve(cwd, optional(env, 'DATA_DIR') ?? 'data'),
    appKey,
    admin: adminUsername !== undefined && adminPassword !== undefined
      ? { username: adminUsername.trim(), password: adminPassword }
      : undefined,
    trustProxy: parseTrustProxy(env),
    personalAccessTokenMaxDays: Number(patDays),
    logLevel,
    ...parseOperations(env),
    graphqlLimits: parseGraphQLLimits(env),
    signInLimits: parseSignInLimits(env),
    corsOrigins: parseCorsOrigins(env),
  };
}
