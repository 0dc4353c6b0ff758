// Environment variables -> a typed, validated Config. Pure: importing or calling it changes nothing.
import { resolve } from 'node:path';

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
  /** Runs behind a TLS-terminating proxy: trust X-Forwarded-* headers. */
  trustProxy: boolean;
  /** The longest a personal access token may live, and its default lifetime. */
  personalAccessTokenMaxDays: number;
  logLevel: 'silent' | 'error' | 'info';
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

function parseBoolean(env: Env, name: string): boolean {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(name, `must be true or false, got "${env[name]}"`);
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
    trustProxy: parseBoolean(env, 'TRUST_PROXY'),
    personalAccessTokenMaxDays: Number(patDays),
    logLevel,
  };
}
