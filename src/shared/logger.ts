// A minimal leveled logger on stderr. Never pass it secrets, passwords or tokens.
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
