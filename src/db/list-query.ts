// The lists of the API (auth clients, users, groups) are pages sorted by one unique text key, a lower-cased name, with
// filters: here is their one shape. The filters are SQL conditions whose parameters are numbered as they are added; the
// page reads one row more than asked to tell whether another page follows; the count covers the filters alone, never
// the cursor, and is made only when the caller asks for totalCount.
import { escapeLike } from '../shared/db-errors.js';
import { ValidationFailed } from '../shared/errors.js';
import { checkPageSize, type Page } from '../shared/paging.js';
import type { Sql } from './sql.js';

/** A list's filters: SQL conditions joined with `and`, and their parameters. */
export class SqlConditions {
  readonly #conditions: string[] = [];
  readonly #values: unknown[] = [];

  /** The placeholder (`$n`) of a new parameter. */
  param(value: unknown): string {
    return `$${this.#values.push(value)}`;
  }

  add(condition: string): this {
    this.#conditions.push(condition);
    return this;
  }

  get values(): readonly unknown[] {
    return this.#values;
  }

  get where(): string {
    return this.#conditions.length > 0 ? `where ${this.#conditions.join(' and ')}` : '';
  }

  /** A copy to add more conditions to, leaving this one as it is. */
  copy(): SqlConditions {
    const copy = new SqlConditions();
    copy.#conditions.push(...this.#conditions);
    copy.#values.push(...this.#values);
    return copy;
  }
}

/**
 * A search term as a LIKE pattern matching it anywhere, trimmed and lower-cased, with `%` and `_` taken literally; null
 * for no search. BAD_USER_INPUT on `search` for a NUL character, which PostgreSQL text cannot hold.
 */
export function searchPattern(search: string | null | undefined): string | null {
  const term = search?.trim().toLowerCase();
  if (term?.includes('\u0000')) throw ValidationFailed.of('search', 'The search must not contain NUL characters');
  return term ? `%${escapeLike(term)}%` : null;
}

export interface KeysetQuery<Row> {
  /** The select list, and the table it reads (with its alias, if the columns use one). */
  columns: string;
  from: string;
  /** The unique text the list is sorted by, e.g. `lower(u.username)`. */
  sortKey: string;
  filters: SqlConditions;
  /** The sort key of the last row of the previous page (from its cursor), or null for the first page. */
  afterKey: string | null;
  first: number;
  cursorOf: (row: Row) => string;
  /** Prepare the page statement (a fixed shape whose best plan does not depend on its parameters). */
  prepare?: boolean;
  /** How many rows match the filters; by default one count(*) over them. */
  count?: () => Promise<number>;
}

/** One page of rows, sorted by `sortKey` after `afterKey`. */
export async function keysetPage<Row>(sql: Sql, query: KeysetQuery<Row>): Promise<Page<Row>> {
  checkPageSize(query.first);
  const page = query.filters.copy();
  if (query.afterKey !== null) page.add(`${query.sortKey} > ${page.param(query.afterKey)}`);
  const limit = page.param(query.first + 1);
  const rows = await sql.rows<Row>(
    `select ${query.columns} from ${query.from} ${page.where} order by ${query.sortKey} limit ${limit}`,
    page.values,
    { prepare: query.prepare ?? false },
  );
  const { filters } = query;
  return {
    items: rows.slice(0, query.first),
    hasNextPage: rows.length > query.first,
    countAll: query.count ?? (async () => Number((await sql.one<{ count: string }>(`select count(*) from ${query.from} ${filters.where}`, filters.values))?.count ?? 0)),
    cursorOf: query.cursorOf,
  };
}
