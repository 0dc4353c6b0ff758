// Plain parameterised SQL for the hot paths (token lookups, the viewer, lists), on MikroORM's own connection pool.
// Entities, the unit of work and migrations stay for writes and schema; a read that writes nothing back needs none
// of MikroORM's hydration, identity map or SQL building, which cost more than the query itself.
import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { explainUnavailable } from '../shared/db-errors.js';

interface PgConnection {
  query<Row>(query: { text: string; values: readonly unknown[]; types: pg.CustomTypesConfig; name?: string }): Promise<{ rows: Row[]; rowCount: number | null }>;
}

export interface SqlOptions {
  /**
   * Parse and plan it once per connection (a named prepared statement), for the small fixed lookups of every request.
   * Not for statements whose best plan depends on the values, such as a search.
   */
  prepare?: boolean;
}

// MikroORM has the pool's connections return times as text, to parse them itself; these queries get the driver's
// own parsers back (timestamptz as Date).
const DRIVER_TYPES = new pg.TypeOverrides();

interface KnexPoolClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
  /** tarn's pool; gone once closed. */
  pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number };
}

export interface SqlResult<Row> {
  rows: Row[];
  /** Rows inserted, updated or deleted, for writes. */
  rowCount: number;
}

export class Sql {
  readonly #pool: KnexPoolClient;
  readonly #names = new Map<string, string>();

  /**
   * `canPrepare` is false for the embedded database: PGlite is one session shared by every connection, where a
   * statement name prepared by one connection would clash with the same name from another.
   */
  constructor(orm: MikroORM, private readonly canPrepare: boolean) {
    // Knex's client hands out the driver's own connections from the pool MikroORM configured.
    this.#pool = (orm.em.getConnection().getKnex() as unknown as { client: KnexPoolClient }).client;
  }

  #nameOf(text: string): string {
    let name = this.#names.get(text);
    if (!name) {
      name = `ac_${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
      this.#names.set(text, name);
    }
    return name;
  }

  /** The pool's connections now, for /metrics. */
  poolStats(): { inUse: number; idle: number; waiting: number } {
    const { pool } = this.#pool;
    return pool ? { inUse: pool.numUsed(), idle: pool.numFree(), waiting: pool.numPendingAcquires() } : { inUse: 0, idle: 0, waiting: 0 };
  }

  /** Runs one statement with `$1`-style parameters on a pooled connection. */
  async run<Row = Record<string, unknown>>(text: string, values: readonly unknown[] = [], options: SqlOptions = {}): Promise<SqlResult<Row>> {
    const connection = await this.#acquire();
    try {
      return await this.#query<Row>(connection, text, values, options);
    } finally {
      await this.#pool.releaseConnection(connection);
    }
  }

  async #acquire(): Promise<PgConnection> {
    try {
      return await this.#pool.acquireConnection();
    } catch (error) {
      throw explainUnavailable(error);
    }
  }

  async #query<Row>(connection: PgConnection, text: string, values: readonly unknown[], { prepare = false }: SqlOptions): Promise<SqlResult<Row>> {
    const name = prepare && this.canPrepare ? this.#nameOf(text) : undefined;
    try {
      const result = await connection.query<Row>({
        text, values, types: DRIVER_TYPES, name,
      });
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    } catch (error) {
      // A lost or timed-out database is told apart from a statement it refused, once, here (shared/db-errors.ts).
      throw explainUnavailable(error);
    }
  }

  /**
   * Runs `work` in one transaction on one pooled connection: committed when it resolves, rolled back when it throws.
   * Everything inside must go through `tx` (on the embedded database another connection would wait for this one).
   * On the embedded database, other connections wait until it ends (patches/@electric-sql+pglite-socket+0.2.17.patch
   * keeps their queries whole meanwhile); a change that one statement can make (a data-modifying CTE) costs less.
   */
  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const connection = await this.#acquire();
    const query = <Row>(text: string, values: readonly unknown[] = [], options: SqlOptions = {}) => this.#query<Row>(connection, text, values, options);
    try {
      await query('begin');
      let result: T;
      try {
        result = await work(new SqlTransaction(query));
      } catch (error) {
        // The work's own error is the one to report, even when the rollback fails too (a broken connection).
        await query('rollback').catch(() => undefined);
        throw error;
      }
      await query('commit');
      return result;
    } finally {
      await this.#pool.releaseConnection(connection);
    }
  }

  async rows<Row = Record<string, unknown>>(text: string, values: readonly unknown[] = [], options?: SqlOptions): Promise<Row[]> {
    return (await this.run<Row>(text, values, options)).rows;
  }

  /** The first row, or undefined. */
  async one<Row = Record<string, unknown>>(text: string, values: readonly unknown[] = [], options?: SqlOptions): Promise<Row | undefined> {
    return (await this.run<Row>(text, values, options)).rows[0];
  }
}

type Query = <Row>(text: string, values?: readonly unknown[], options?: SqlOptions) => Promise<SqlResult<Row>>;

/** The statements of one open transaction (see `Sql.transaction`): the same methods as `Sql`, on its connection. */
export class SqlTransaction {
  readonly #query: Query;

  constructor(query: Query) {
    this.#query = query;
  }

  run<Row = Record<string, unknown>>(text: string, values: readonly unknown[] = [], options?: SqlOptions): Promise<SqlResult<Row>> {
    return this.#query<Row>(text, values, options);
  }

  async rows<Row = Record<string, unknown>>(text: string, values: readonly unknown[] = [], options?: SqlOptions): Promise<Row[]> {
    return (await this.#query<Row>(text, values, options)).rows;
  }

  /** The first row, or undefined. */
  async one<Row = Record<string, unknown>>(text: string, values: readonly unknown[] = [], options?: SqlOptions): Promise<Row | undefined> {
    return (await this.#query<Row>(text, values, options)).rows[0];
  }
}
