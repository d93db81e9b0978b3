/**
 * A tiny structured logger: one JSON object per line on stdout (or any sink), no dependencies.
 * fastify bundles pino, but pino is not a direct dependency of this project and request logging at
 * 10,000 requests/s would cost more than it tells, so the cell logs lifecycle and failures only.
 *
 * @example
 * const log = createLogger({ level: 'info', base: { component: 'cell' } });
 * log.info('cell ready', { url });
 */
export const LOG_LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;

export type LogLevel = keyof typeof LOG_LEVELS;

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly base?: LogFields;
  /** Where lines go; defaults to `process.stdout`. */
  readonly write?: (line: string) => void;
}

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(LOG_LEVELS, value);
}

/** Turns errors into plain JSON (name, message, code, stack) so they survive `JSON.stringify`. */
export function serializeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(code !== undefined ? { code } : {}),
      stack: error.stack,
    };
  }
  return { message: String(error) };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const base = options.base ?? {};
  const emit = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    if (LOG_LEVELS[level] < threshold) return;
    const entry: Record<string, unknown> = { level, time: new Date().toISOString(), msg, ...base };
    for (const [key, value] of Object.entries(fields ?? {})) {
      entry[key] = value instanceof Error ? serializeError(value) : value;
    }
    let line: string;
    try {
      line = JSON.stringify(entry, (_key, value: unknown) =>
        typeof value === 'bigint' ? value.toString() : value,
      );
    } catch {
      line = JSON.stringify({ level, time: entry.time, msg, note: 'fields were not serializable' });
    }
    write(`${line}\n`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}
