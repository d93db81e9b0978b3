import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import PinoPretty from 'pino-pretty';

/**
 * The cell's logger: pino (the logger fastify bundles) behind a small interface, so callers log
 * `(msg, fields)` and never depend on pino. Two formats:
 * - `json`: one JSON object per line, `{"level":"info","time":"<RFC 3339>",...bindings,...fields,"msg"}`
 *   — the machine format (tests and log shippers parse it; `level` stays a label, not pino's number);
 * - `pretty`: pino-pretty's human-readable lines, for a terminal.
 *
 * Both write synchronously to `process.stdout` (or `write`): pino-pretty is used as a function
 * (`prettyFactory`), not as its stream or a worker-thread transport, so no line is lost when the
 * process exits right after logging, and the engine's worker thread logs through its own
 * `process.stdout`, which Node relays to the main thread (lines of both threads never interleave).
 * The cell logs lifecycle and failures only, never per request.
 *
 * @example
 * const log = createLogger({ level: 'info', format: 'pretty', base: { component: 'cell' } });
 * log.info('cell ready', { url });
 */

/** pino's level numbers; `silent` logs nothing. */
export const LOG_LEVELS = {
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  silent: Number.POSITIVE_INFINITY,
} as const;

export type LogLevel = keyof typeof LOG_LEVELS;

/** `json` lines for machines, `pretty` lines for a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const;

export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (a later value of a key replaces an earlier one). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** @default 'json' */
  readonly format?: LogFormat;
  readonly base?: LogFields;
  /** Colors in `pretty` lines; defaults to whether the terminal supports them. */
  readonly colorize?: boolean;
  /** Where lines go; defaults to `process.stdout`. */
  readonly write?: (line: string) => void;
}

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(LOG_LEVELS, value);
}

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

/** `pretty` on a terminal, `json` otherwise (a pipe, a file, a log collector). */
export function defaultLogFormat(stdoutIsTty: boolean | undefined): LogFormat {
  return stdoutIsTty === true ? 'pretty' : 'json';
}

/**
 * What an operator does about SQLite finding a damaged page while the cell runs (the start-up
 * check leaves history tables to backups: `storage/startup-check.ts`).
 */
export const CORRUPT_DATABASE_HINT =
  'the database file has a damaged page: restore the latest verified backup (npm start -- --restore <file>)';

/**
 * Turns errors into plain JSON (name, message, code, stack) so they survive `JSON.stringify`; a
 * damaged database (`SQLITE_CORRUPT`) also gets the {@link CORRUPT_DATABASE_HINT}.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(code !== undefined ? { code } : {}),
      ...(code === 'SQLITE_CORRUPT' ? { hint: CORRUPT_DATABASE_HINT } : {}),
      stack: error.stack,
    };
  }
  return { message: String(error) };
}

/**
 * Errors under any key become plain objects, and bigints become decimal text: a JSON number would
 * lose the digits of a large amount (money is never a float).
 */
function plainFields(fields: LogFields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value instanceof Error) out[key] = serializeError(value);
    else if (typeof value === 'bigint') out[key] = value.toString();
    else out[key] = value;
  }
  return out;
}

function destination(options: LoggerOptions): DestinationStream {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  if (options.format !== 'pretty') return { write };
  const prettify = PinoPretty.prettyFactory({
    colorize: options.colorize ?? PinoPretty.isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    // "[engine] store write retrying": which part of the cell spoke, before the message.
    messageFormat: '{if component}[{component}] {end}{msg}',
    singleLine: true,
  });
  return { write: (line: string) => write(prettify(line)) };
}

function rootLogger(options: LoggerOptions): PinoLogger {
  const json = options.format !== 'pretty';
  return pino(
    {
      level: options.level ?? 'info',
      // No pid/hostname on every line (the "cell ready" line carries the pid).
      base: null,
      ...(json
        ? {
            timestamp: pino.stdTimeFunctions.isoTime,
            formatters: { level: (label: string) => ({ level: label }) },
          }
        : {}),
    },
    destination(options),
  );
}

function wrap(root: PinoLogger, bindings: LogFields): Logger {
  // Bindings are merged here rather than with pino's own child(), which would repeat a key
  // (`"component":"cell","component":"engine"`) instead of replacing it.
  const log = Object.keys(bindings).length > 0 ? root.child(bindings) : root;
  return {
    debug: (msg, fields) => log.debug(plainFields(fields), msg),
    info: (msg, fields) => log.info(plainFields(fields), msg),
    warn: (msg, fields) => log.warn(plainFields(fields), msg),
    error: (msg, fields) => log.error(plainFields(fields), msg),
    child: (fields) => wrap(root, { ...bindings, ...plainFields(fields) }),
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return wrap(rootLogger(options), options.base ?? {});
}
