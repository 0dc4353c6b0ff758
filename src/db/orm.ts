// Opens the database for either storage mode, migrates it, and resolves the APP_KEY that goes with it.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import type { Migrator } from '@mikro-orm/migrations';
import { ormConfig } from '../../mikro-orm.config.js';
import type { Config } from '../config.js';
import { randomToken } from '../shared/secrets.js';
import type { Logger } from '../shared/logger.js';
import {
  CHANGE_FEED_APPLICATION_NAME, InProcessChangeFeed, NoChangeFeed, PgChangeFeed, type ChangeFeed,
} from './change-feed.js';
import { openEmbedded, type EmbeddedRole } from './embedded.js';
import { MIGRATION_NAMES } from './migrations/names.js';
import { Sql } from './sql.js';

export interface Database {
  orm: MikroORM;
  /** Plain SQL on the same pool, for the hot paths. */
  sql: Sql;
  mode: 'embedded' | 'server';
  /** Starts hearing changes of cached tables (see change-feed.ts); the caller closes it. */
  openChangeFeed(logger: Logger): Promise<ChangeFeed>;
  close(): Promise<void>;
}

/**
 * How long the service waits on the database before a request is answered 503 (README, "Operating it"): a connection
 * (connect, and a place in the pool), and a statement, which the server cancels (statement_timeout) and the client
 * gives up on a little later (pg's query_timeout: a frozen server cancels nothing). The CLI waits as long as it takes.
 * The embedded database shares one session among its connections, where a statement may wait for another's
 * transaction: it gets the connection limits only.
 */
function poolOptions(config: Config, role: EmbeddedRole, mode: Database['mode']) {
  if (role !== 'service') return {};
  const { databaseConnectTimeoutMs: connect, databaseStatementTimeoutMs: statement } = config;
  return {
    pool: { acquireTimeoutMillis: Math.max(connect, statement) },
    driverOptions: {
      connection: {
        connectionTimeoutMillis: connect,
        ...(mode === 'server' ? { statement_timeout: statement, query_timeout: statement + 500 } : {}),
      },
    },
  };
}

/**
 * Runs `work` in a transaction free of the statement timeouts above: migrations, and waiting for another instance's
 * migrations or bootstrap, may take longer than any request should. Server side with `set local`; client side on the
 * transaction's own pg connection, which pg reads for every query it sends.
 */
export async function untimedTransaction<T>(orm: MikroORM, work: (em: EntityManager) => Promise<T>): Promise<T> {
  let connection: { connectionParameters?: { query_timeout?: unknown } } | undefined;
  let saved: unknown;
  try {
    return await orm.em.fork().transactional(async (em) => {
      const transaction = em.getTransactionContext<{ client: { acquireConnection(): Promise<typeof connection> } }>();
      connection = await transaction?.client.acquireConnection();
      if (connection?.connectionParameters) {
        saved = connection.connectionParameters.query_timeout;
        connection.connectionParameters.query_timeout = false;
      }
      await em.execute('set local statement_timeout = 0');
      return work(em);
    });
  } finally {
    if (connection?.connectionParameters) connection.connectionParameters.query_timeout = saved;
  }
}

export async function openDatabase(config: Config, role: EmbeddedRole): Promise<Database> {
  if (config.databaseUrl !== undefined) {
    const { databaseUrl } = config;
    const timeouts = poolOptions(config, role, 'server');
    const feedConnection = {
      connectionString: databaseUrl,
      connectionTimeoutMillis: config.databaseConnectTimeoutMs,
      // Named in pg_stat_activity, where its last query is only the heartbeat's select 1.
      application_name: CHANGE_FEED_APPLICATION_NAME,
    };
    // The service's change feed connects while MikroORM discovers its entities; openChangeFeed then listens on it.
    let preconnected = role === 'service' ? PgChangeFeed.preconnect(feedConnection) : undefined;
    const endPreconnected = async () => {
      const unused = preconnected;
      preconnected = undefined;
      await unused?.client.end().catch(() => {});
    };
    let orm: MikroORM;
    try {
      orm = await MikroORM.init(ormConfig({ clientUrl: databaseUrl }, { ...timeouts, pool: { min: 0, max: 10, ...timeouts.pool } }));
    } catch (error) {
      await endPreconnected();
      throw error;
    }
    const sql = new Sql(orm, true);
    return {
      orm,
      sql,
      mode: 'server',
      openChangeFeed(logger) {
        const taken = preconnected;
        preconnected = undefined;
        return PgChangeFeed.start(feedConnection, sql, logger, taken);
      },
      async close() {
        await endPreconnected();
        await orm.close();
      },
    };
  }
  const embedded = await openEmbedded(config.dataDir, role);
  try {
    const timeouts = poolOptions(config, role, 'embedded');
    const orm = await MikroORM.init(ormConfig({
      host: embedded.socketDir, port: embedded.port, user: 'postgres', dbName: 'postgres',
    }, { ...timeouts, pool: { min: 0, max: 4, ...timeouts.pool } }));
    const { onNotification } = embedded;
    const sql = new Sql(orm, false);
    return {
      orm,
      sql,
      mode: 'embedded',
      openChangeFeed: () => Promise.resolve(onNotification ? new InProcessChangeFeed(sql, onNotification) : new NoChangeFeed()),
      async close() {
        await orm.close();
        await embedded.close();
      },
    };
  } catch (error) {
    await embedded.close();
    throw error;
  }
}

/**
 * The committed migrations this database has not run, read straight from MikroORM's own table (names there may carry
 * a .js or .ts ending, which MikroORM ignores too).
 */
export async function pendingMigrations(sql: Sql): Promise<string[]> {
  const { rows: [table] } = await sql.run<{ present: boolean }>("select to_regclass('mikro_orm_migrations') is not null as present");
  if (!table?.present) return [...MIGRATION_NAMES];
  const { rows } = await sql.run<{ name: string }>('select name from mikro_orm_migrations');
  const executed = new Set(rows.map(({ name }) => name.replace(/\.[jt]s$/, '')));
  return MIGRATION_NAMES.filter((name) => !executed.has(name));
}

/**
 * MikroORM's Migrator with the committed migrations. Loaded on first use: together they are a large part of the
 * code, and a start on an up-to-date database needs neither.
 */
export async function getMigrator(orm: MikroORM): Promise<Migrator> {
  if (!orm.config.getExtension('@mikro-orm/migrator')) {
    const [{ Migrator: MigratorClass }, { migrationsList }] = await Promise.all([
      import('@mikro-orm/migrations'), import('./migrations/index.js'),
    ]);
    orm.config.set('migrations', { ...orm.config.get('migrations'), migrationsList });
    MigratorClass.register(orm);
  }
  return orm.config.getExtension<Migrator>('@mikro-orm/migrator')!;
}

// Any fixed number: instances starting together on one database migrate one after the other.
const MIGRATION_LOCK = 4_200_116;

/**
 * Applies every committed migration that has not run yet. On a server, instances may start together: they take
 * turns under an advisory lock. The embedded database has one owner, and must not be asked to lock at all: PGlite
 * serves one session, so the migrator's own queries outside the locking transaction would wait for it forever.
 * Migrations are only ever added, so a database found with none pending (the usual restart) needs no lock and no
 * Migrator.
 */
export async function migrate({ orm, sql, mode }: Database): Promise<void> {
  if ((await pendingMigrations(sql)).length === 0) return;
  const migrator = await getMigrator(orm);
  if (mode === 'embedded') {
    await migrator.up();
    return;
  }
  await untimedTransaction(orm, async (em) => {
    await em.execute('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    // MikroORM types a transaction context as any.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
    await migrator.up({ transaction: em.getTransactionContext() });
  });
}

/**
 * APP_KEY from the environment, or in embedded mode the one kept in the data folder (made on first start).
 * A server database always needs it from the environment: every instance must share it.
 */
export async function resolveAppKey(config: Config): Promise<string> {
  if (config.appKey !== undefined) return config.appKey;
  if (config.databaseUrl !== undefined) throw new Error('APP_KEY is required when DATABASE_URL is set');
  const path = join(config.dataDir, 'app-key');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomToken(48);
  try {
    await writeFile(path, `${key}\n`, { flag: 'wx', mode: 0o600 });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return (await readFile(path, 'utf8')).trim(); // another process made it first
  }
}
