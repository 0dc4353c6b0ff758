// Domain errors: each carries a GraphQL error code and a message that is safe to show to the caller.

export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'SERVICE_UNAVAILABLE' | 'TOO_MANY_ATTEMPTS';

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
}

export interface Problem {
  /** The input field at fault, as the caller named it (`name`, `grants`, `redirectUris`, ...). */
  field: string;
  message: string;
}

/** Input that breaks a rule. The first problem gives the message and `extensions.field`; all are listed. */
export class ValidationFailed extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  readonly field: string;
  constructor(readonly problems: [Problem, ...Problem[]]) {
    super(problems[0].message);
    this.name = 'ValidationFailed';
    this.field = problems[0].field;
  }

  static of(field: string, message: string): ValidationFailed {
    return new ValidationFailed([{ field, message }]);
  }
}

export class NotAuthenticated extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor(message = 'Sign in first: send an access token as "Authorization: Bearer <token>"') {
    super(message);
    this.name = 'NotAuthenticated';
  }
}

export class PermissionDenied extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(message = 'You do not have permission to do this') {
    super(message);
    this.name = 'PermissionDenied';
  }
}

/** The token's scopes don't cover what was asked (RFC 6750 insufficient_scope); `requiredScope` names the one lacking. */
export class ScopeMissing extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(readonly requiredScope: string, message = `Your token lacks the scope "${requiredScope}"`) {
    super(message);
    this.name = 'ScopeMissing';
  }
}

export class NotFound extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(message: string) {
    super(message);
    this.name = 'NotFound';
  }
}

/** How long a caller is told to wait (Retry-After, in seconds) before trying again after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The database could not be asked (down, unreachable, frozen, timed out): "could not look", never "not found". Every
 * surface answers 503 with Retry-After (GraphQL SERVICE_UNAVAILABLE, OAuth temporarily_unavailable, a 503 page).
 */
export class DatabaseUnavailable extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(options?: { cause?: unknown }) {
    super('The service cannot reach its database just now; try again shortly', options);
    this.name = 'DatabaseUnavailable';
  }
}
