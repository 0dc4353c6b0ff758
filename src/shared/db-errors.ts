// Recognises database errors that callers turn into domain errors, without depending on driver internals elsewhere.
import { ConnectionException, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DatabaseUnavailable, type DomainError } from './errors.js';

/**
 * True when `error` is a unique violation of the named index or constraint: MikroORM's exception for a flush, or the
 * driver's own error (SQLSTATE 23505) for a plain-SQL statement (db/sql.ts).
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const driverError = error as { code?: unknown; constraint?: unknown } | null;
  if (!(error instanceof UniqueConstraintViolationException)) return driverError?.code === '23505' && driverError.constraint === constraint;
  const detail = error as unknown as { constraint?: string; message: string };
  return detail.constraint === constraint || detail.message.includes(`"${constraint}"`);
}

/**
 * Flushes `em`. A unique violation of one of the named constraints becomes that constraint's domain error, after the
 * unit of work is cleared so nothing half-written is retried; any other failure is rethrown as it is.
 */
export async function flushOrExplain(em: EntityManager, explain: Record<string, () => DomainError>): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    em.clear();
    for (const [constraint, domainError] of Object.entries(explain)) {
      if (isUniqueViolation(error, constraint)) throw domainError();
    }
    throw error;
  }
}

/** Escapes %, _ and \ so a search term matches literally inside LIKE. */
export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, '\\$&');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

// Socket errors of a connection that could not be made or was lost.
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
// SQLSTATEs of a server that is going away, starting, full, or cancelled the statement (statement_timeout).
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
// What pg, knex and tarn say when a connection or a query gave up (connect and read timeouts, a dropped connection).
const UNAVAILABLE_MESSAGES = [
  'timeout expired', 'Connection terminated', 'Query read timeout', 'is not queryable', 'Connection ended unexpectedly',
  'Timeout acquiring a connection',
];

/**
 * True when `error` says the database could not be asked (down, unreachable, frozen, timed out), as opposed to a
 * question it answered: "could not look", which callers must never report as "not found". Looks through causes.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    if (current instanceof DatabaseUnavailable || current instanceof ConnectionException) return true;
    const { code, syscall, message, name } = current as { code?: unknown; syscall?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string') {
      if (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08')) return true;
      // The embedded database's socket file is gone with its process.
      if (code === 'ENOENT' && syscall === 'connect') return true;
    }
    if (name === 'KnexTimeoutError' || name === 'TimeoutError') return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((text) => message.includes(text))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** `error` as DatabaseUnavailable when it is one (see above), otherwise unchanged: for a catch that rethrows. */
export function explainUnavailable(error: unknown): unknown {
  return !(error instanceof DatabaseUnavailable) && isDatabaseUnavailable(error) ? new DatabaseUnavailable({ cause: error }) : error;
}

/**
 * For a lookup whose failure means "none": undefined, unless the database could not be asked, which is rethrown
 * (as DatabaseUnavailable). `.catch(noneUnlessUnavailable)`.
 */
export function noneUnlessUnavailable(error: unknown): undefined {
  if (isDatabaseUnavailable(error)) throw explainUnavailable(error);
  return undefined;
}
