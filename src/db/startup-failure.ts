// Why the database could not be opened, as one line that names the cause and the fix: what the service and the CLI
// print instead of a stack when they cannot start.

/** A failure already described in one line: printed as it is. */
export class StartupFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupFailure';
  }
}

/** The exit code of the embedded database's process when its last line on stderr describes its failure whole. */
export const DESCRIBED_FAILURE = 2;

/** The problem with the data folder that an operating-system error (its code, or PostgreSQL's text of it) shows, if any. */
export function dataFolderProblem(dataDir: string, error: { code?: string; message?: string }): string | undefined {
  const text = `${error.code ?? ''} ${error.message ?? ''}`;
  if (/ENOSPC|EDQUOT|No space left on device|Disk quota exceeded/i.test(text)) {
    return `The data folder ${dataDir} is full (no space left on device): free some space, or move DATA_DIR to a larger disk`;
  }
  if (/EROFS|Read-only file system/i.test(text)) {
    return `The data folder ${dataDir} is on a read-only file system: make it writable, or set DATA_DIR to a writable folder`;
  }
  if (/EACCES|EPERM|Permission denied|Operation not permitted/i.test(text)) {
    return `The data folder ${dataDir} cannot be written by this user (uid ${process.getuid?.() ?? '?'}): give it the folder (chown -R), or set DATA_DIR to a folder it owns`;
  }
  if (/ENOTDIR|EEXIST|Not a directory/i.test(text)) {
    return `DATA_DIR ${dataDir} is not a folder (something else has that name): set DATA_DIR to a folder`;
  }
  return undefined;
}

interface PgError {
  code?: string;
  message?: string;
  errors?: PgError[];
}

/** Where DATABASE_URL points, without its user name or password. */
function serverOf(databaseUrl: string): { host: string; database: string } {
  try {
    const url = new URL(databaseUrl);
    return { host: `${url.hostname || 'localhost'}:${url.port || '5432'}`, database: decodeURIComponent(url.pathname.slice(1)) || 'postgres' };
  } catch {
    return { host: 'the host in DATABASE_URL', database: 'the database in DATABASE_URL' };
  }
}

/** The problem a failed connection to the PostgreSQL server at `databaseUrl` shows, if it is one. */
export function databaseServerProblem(databaseUrl: string, error: PgError): string | undefined {
  // Several addresses of one host (IPv4 and IPv6) fail together as an AggregateError.
  const failure = error.code === undefined && error.errors?.[0] ? error.errors[0] : error;
  const { host, database } = serverOf(databaseUrl);
  const reach = `Cannot reach the database server at ${host} (DATABASE_URL)`;
  switch (failure.code) {
    case 'ECONNREFUSED':
      return `${reach}: connection refused; start PostgreSQL there, or correct DATABASE_URL`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `${reach}: no such host; correct the host in DATABASE_URL`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ECONNRESET':
      return `${reach}: ${failure.code}; check the host, port and network, or correct DATABASE_URL`;
    case '28P01':
    case '28000':
      return `The database server at ${host} refused the login (${failure.message}): correct the user or password in DATABASE_URL`;
    case '3D000':
      return `The database "${database}" does not exist on ${host}: create it (createdb), or correct DATABASE_URL`;
    case '53300':
      return `The database server at ${host} has no free connections (${failure.message}): raise max_connections, or stop other clients`;
    case '57P03':
      return `The database server at ${host} is not accepting connections yet (${failure.message}): start again once it is up`;
    default:
      if (failure.message && /timeout|SSL|self[- ]signed|certificate/i.test(failure.message)) {
        return `${reach}: ${failure.message}; check DATABASE_URL and the server's network and TLS settings`;
      }
      return undefined;
  }
}

const STATEMENT = /\b(insert into|update \S+ set|delete from|select .* from)\b/i;

/**
 * The one line to print when opening the database, or anything else at start-up, failed with `error`: its cause and
 * fix where known, otherwise its message's first line after `fallback`. Never a stack.
 */
export function describeStartupFailure(error: unknown, config: { databaseUrl?: string; dataDir: string }, fallback: string): string {
  if (error instanceof StartupFailure) return error.message;
  const failure = error as NodeJS.ErrnoException & PgError;
  const known = config.databaseUrl !== undefined
    ? databaseServerProblem(config.databaseUrl, failure)
    : failure.syscall !== undefined ? dataFolderProblem(config.dataDir, failure) : undefined;
  if (known) return known;
  const firstLine = String(failure?.message ?? error).split('\n')[0] ?? '';
  // A failed statement's message holds the statement with its values (MikroORM): named by class and code only.
  if (STATEMENT.test(firstLine)) return `${fallback}: ${error instanceof Error ? error.constructor.name : 'error'}${failure.code ? ` (${failure.code})` : ''}`;
  return `${fallback}: ${firstLine}`;
}
