// Plain parameterised SQL for the hot paths (token lookups, the viewer, lists), on MikroORM's own connection pool.
// Entities, the unit of work and migrations stay for writes and schema; a read that writes nothing back needs none
// of MikroORM's hydration, identity map or SQL building, which cost more than the query itself.
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';

interface PgConnection {
  query<Row>(query: { text: string; values: readonly unknown[]; types: pg.CustomTypesConfig }): Promise<{ rows: Row[]; rowCount: number | null }>;
}

// MikroORM has the pool's connections return times as text, to parse them itself; these queries get the driver's
// own parsers back (timestamptz as Date).
const DRIVER_TYPES = new pg.TypeOverrides();

interface KnexPoolClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
}

export interface SqlResult<Row> {
  rows: Row[];
  /** Rows inserted, updated or deleted, for writes. */
  rowCount: number;
}

export class Sql {
  readonly #pool: KnexPoolClient;

  constructor(orm: MikroORM) {
    // Knex's client hands out the driver's own connections from the pool MikroORM configured.
    this.#pool = (orm.em.getConnection().getKnex() as unknown as { client: KnexPoolClient }).client;
  }

  /** Runs one statement with `$1`-style parameters on a pooled connection. */
  async run<Row = Record<string, unknown>>(text: string, values: readonly unknown[] = []): Promise<SqlResult<Row>> {
    const connection = await this.#pool.acquireConnection();
    try {
      const result = await connection.query<Row>({ text, values, types: DRIVER_TYPES });
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    } finally {
      await this.#pool.releaseConnection(connection);
    }
  }

  async rows<Row = Record<string, unknown>>(text: string, values: readonly unknown[] = []): Promise<Row[]> {
    return (await this.run<Row>(text, values)).rows;
  }

  /** The first row, or undefined. */
  async one<Row = Record<string, unknown>>(text: string, values: readonly unknown[] = []): Promise<Row | undefined> {
    return (await this.run<Row>(text, values)).rows[0];
  }
}
