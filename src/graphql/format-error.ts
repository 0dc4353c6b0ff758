// The one place that decides what an error may tell the caller: domain errors and GraphQL's own errors pass with their
// code; anything else is logged and leaves as a generic INTERNAL_SERVER_ERROR, never with SQL or a stack.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { isDatabaseUnavailable } from '../shared/db-errors.js';
import {
  DatabaseUnavailable, DomainError, RETRY_AFTER_SECONDS, ScopeMissing, ValidationFailed,
} from '../shared/errors.js';
import { describeError, type Logger } from '../shared/logger.js';
import { TooManyAttempts } from '../users/password-attempts.js';

// Codes Apollo, graphql-js, our rules and our limits (graphql/limits.ts) produce for the caller's own mistakes or a
// request over its time budget (TIMEOUT); their messages are safe.
const CALLER_CODES = new Set([
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'SERVICE_UNAVAILABLE', 'TIMEOUT',
]);

const UNAVAILABLE_MESSAGE = new DatabaseUnavailable().message;
const retryAfter = () => new Map([['retry-after', String(RETRY_AFTER_SECONDS)]]);

/** What the request answers when the database could not be asked before any field ran (the token check): HTTP 503. */
export function serviceUnavailable(): GraphQLError {
  return new GraphQLError(UNAVAILABLE_MESSAGE, {
    extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503, headers: retryAfter() } },
  });
}

/**
 * A field that failed because the database could not be asked makes the whole answer HTTP 503 with Retry-After: the
 * caller should retry the request, not act on a partial answer.
 */
export const serviceUnavailableAs503: ApolloServerPlugin = {
  requestDidStart: () => Promise.resolve({
    willSendResponse: ({ response }) => {
      const { body } = response;
      if (body.kind !== 'single' || !body.singleResult.errors?.some((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE')) return Promise.resolve();
      response.http.status = 503;
      response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
      return Promise.resolve();
    },
  }),
};

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

    if (isDatabaseUnavailable(original)) {
      return {
        message: UNAVAILABLE_MESSAGE, locations, path, extensions: { code: 'SERVICE_UNAVAILABLE' },
      };
    }

    logger.error('Unexpected GraphQL error', { path: path?.join('.'), ...describeError(original) });
    return {
      message: 'Internal server error', locations, path, extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
