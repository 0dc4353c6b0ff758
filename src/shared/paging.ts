// Keyset paging shared by every list: a page of items, and opaque cursors that carry the sort key of a row.
import { ValidationFailed } from './errors.js';

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  /** How many items match, on all pages: a query of its own, made only when asked for. */
  countAll(): Promise<number>;
  cursorOf(item: T): string;
}

export const MAX_PAGE_SIZE = 100;

/** BAD_USER_INPUT on `first` unless it is a page size from 0 to MAX_PAGE_SIZE. */
export function checkPageSize(first: number): void {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw ValidationFailed.of('first', `first must be between 0 and ${MAX_PAGE_SIZE}`);
  }
}

export function encodeCursor(sortKey: string[]): string {
  return Buffer.from(JSON.stringify(sortKey)).toString('base64url');
}

/** The sort key in a cursor; BAD_USER_INPUT on `after` for anything this service did not hand out. */
export function decodeCursor(cursor: string, length: number, isValid: (sortKey: string[]) => boolean): string[] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === length && value.every((part) => typeof part === 'string' && !part.includes('\u0000'))
      && isValid(value as string[])) {
      return value as string[];
    }
  } catch {
    // fall through
  }
  throw ValidationFailed.of('after', 'The cursor is not valid: pass the endCursor of a previous page');
}
