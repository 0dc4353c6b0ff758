// The one place that decides what an error may tell the caller: domain errors and GraphQL's own errors pass with their
// code; anything else is logged and leaves as a generic INTERNAL_SERVER_ERROR, never with SQL or a stack.
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError, ScopeMissing, ValidationFailed } from '../shared/errors.js';
import { TooManyAttempts } from '../users/password-attempts.js';
import type { Logger } from '../shared/logger.js';

// Codes Apollo, graphql-js and our rules produce for the caller's own mistakes; their messages are safe.
const CALLER_CODES = new Set([
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND',
]);

/** The input field named in a variable coercion message: `... at "input.grants[0]"; ...` -> `grants`. */
function fieldOfCoercionError(message: string): string | undefined {
  const path = /at "(?:[^".]+\.)?([A-Za-z_][A-Za-z0-9_]*)/.exec(message)?.[1];
  if (path) return path;
  return /Field "(?:[^"]*\.)?([A-Za-z_][A-Za-z0-9_]*)" (?:of required type|is not defined)/.exec(message)?.[1]
    ?? /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)"/.exec(message)?.[1];
}

export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const { message, locations, path } = formatted;

    if (original instanceof DomainError) {
      const extensions: Record<string, unknown> = { code: original.code };
      if (original instanceof ValidationFailed) {
        extensions.field = original.field;
        if (original.problems.length > 1) extensions.problems = original.problems;
      }
      if (original instanceof ScopeMissing) extensions.requiredScope = original.requiredScope;
      if (original instanceof TooManyAttempts) extensions.retryAfter = original.retryAfterSeconds;
      return {
        message: original.message, locations, path, extensions,
      };
    }

    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CALLER_CODES.has(code)) {
      const extensions: Record<string, unknown> = { code };
      if (code === 'BAD_USER_INPUT') {
        const field = formatted.extensions?.field ?? fieldOfCoercionError(message);
        if (field) extensions.field = field;
      }
      if (code === 'FORBIDDEN' && typeof formatted.extensions?.requiredScope === 'string') extensions.requiredScope = formatted.extensions.requiredScope;
      return {
        message, locations, path, extensions,
      };
    }

    logger.error('Unexpected GraphQL error', {
      path: path?.join('.'),
      error: original instanceof Error ? original.stack ?? original.message : String(original),
    });
    return {
      message: 'Internal server error', locations, path, extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
