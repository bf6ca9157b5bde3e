import type { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../../config/app-config.js';

const SEVERITY: Record<LogLevel | 'fatal' | 'verbose', number> = {
  fatal: 0,
  error: 1,
  warn: 2,
  info: 3,
  debug: 4,
  verbose: 5,
};

/**
 * Nest's start-up chatter: a line per module initialised and per route mapped (~60 lines before
 * the URL). Logged at debug (`LOG_LEVEL=debug` shows them).
 */
const STARTUP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * Structured logs: one JSON object per line with level, time, message, context and, where known,
 * the request id. Synchronous writes keep lines whole and ordered; nothing here runs per request
 * unless request logging is sampled in.
 */
export class JsonLogger implements LoggerService {
  private readonly threshold: number;

  constructor(
    level: LogLevel,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {
    this.threshold = SEVERITY[level];
  }

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    this.emit(typeof context === 'string' && STARTUP_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.emit('fatal', message, rest);
  }

  private emit(level: keyof typeof SEVERITY, message: unknown, rest: unknown[]): void {
    if (SEVERITY[level] > this.threshold) return;
    const entry: Record<string, unknown> = { level, time: new Date().toISOString() };
    // Nest passes the context as the last string argument; a stack may come before it.
    const args = [...rest];
    const context = typeof args[args.length - 1] === 'string' ? (args.pop() as string) : undefined;
    if (context) entry.context = context;
    if (message instanceof Error) {
      entry.msg = message.message;
      entry.stack = message.stack;
    } else if (message && typeof message === 'object') {
      Object.assign(entry, message);
    } else {
      entry.msg = String(message);
    }
    for (const extra of args) {
      if (typeof extra === 'string' && extra) entry.stack = extra;
      else if (extra && typeof extra === 'object') Object.assign(entry, extra);
    }
    this.write(JSON.stringify(entry) + '\n');
  }
}
