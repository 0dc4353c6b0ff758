// A minimal leveled logger on stderr. Never pass it secrets, passwords or tokens, nor an error's message (describeError).
import type { Config } from '../config.js';

export interface Logger {
  info(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

export function createLogger(level: Config['logLevel']): Logger {
  const write = (lvl: string, message: string, details?: Record<string, unknown>) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, message, ...details })}\n`);
  };
  return {
    info: (message, details) => { if (level === 'info') write('info', message, details); },
    error: (message, details) => { if (level !== 'silent') write('error', message, details); },
  };
}

// Fields of a driver error (pg's DatabaseError, Node's system errors, MikroORM's exceptions that copy them) that name
// things, never values: SQLSTATE or errno code, the constraint, table and column, the server routine.
const NAMING_FIELDS = ['code', 'constraint', 'table', 'column', 'schema', 'routine', 'syscall'] as const;
const STACK_FRAMES = 12;

/**
 * What a log line may say about an error: its class, its codes and the names of what it concerns, and where it was
 * thrown. Never its message or detail: a database error's message can hold the statement with its values (MikroORM
 * puts the whole INSERT there), its detail the failing row, a parser's the input.
 */
export function describeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorClass: typeof error };
  // pg names its errors "error": the class says more.
  const described: Record<string, unknown> = { errorClass: error.constructor.name || error.name };
  const fields = error as unknown as Record<string, unknown>;
  for (const field of NAMING_FIELDS) {
    const value = fields[field];
    if ((typeof value === 'string' && value.length <= 100) || typeof value === 'number') described[field] = value;
  }
  // Only the "at ..." lines: the first line of a stack (and of every cause MikroORM appends) is the message.
  const frames = (error.stack ?? '').split('\n').map((line) => line.trim()).filter((line) => line.startsWith('at '));
  if (frames.length > 0) described.stack = frames.slice(0, STACK_FRAMES);
  if (error.cause !== undefined && depth < 3) described.cause = describeError(error.cause, depth + 1);
  return described;
}
