// Recognises database errors that callers turn into domain errors, without depending on driver internals elsewhere.
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { DomainError } from './errors.js';

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
