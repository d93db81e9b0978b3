import { InvalidArgumentError } from 'commander';
import envelope from '../../../schemas/envelope.schema.json' with { type: 'json' };
import { parseRfc3339Ms } from '../../../schemas/time.js';

/**
 * Commander argument parsers of `invoice-ops`: each turns an option's text into a typed value or
 * throws `InvalidArgumentError` (exit 2, with a message naming the option).
 *
 * @example
 * new Option('--history <duration>').argParser(parseDurationMs);
 */
const INVOICE_ID = new RegExp(envelope.properties.invoiceId.pattern);
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90`, `90s`, `15m`, `2h`, `7d`, `250ms` → milliseconds (a bare number is seconds). */
export function parseDurationMs(value: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must be a duration like 30s, 15m, 2h or 7d');
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? 's'] as number);
  if (!(ms > 0)) throw new InvalidArgumentError('must be a duration above 0');
  return ms;
}

/** An RFC 3339 time, `now`, or a duration meaning "that long ago" (`24h`) → epoch ms. */
export function parseTimeMs(value: string, nowMs: number): number {
  const v = value.trim();
  if (v === 'now') return nowMs;
  const ms = parseRfc3339Ms(v);
  if (ms !== undefined) return ms;
  if (DURATION.test(v)) return nowMs - parseDurationMs(v);
  throw new InvalidArgumentError(
    'must be an RFC 3339 time like 2026-11-20T09:00:00Z, "now", or an age like 24h',
  );
}

/** A parser of numbers above 0 and at most `max`. */
export function positiveNumber(max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) {
      throw new InvalidArgumentError(`must be a number above 0 and at most ${max}`);
    }
    return n;
  };
}

/** A parser of integers from `min` to `max`. */
export function integer(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A share from 0 to 1. */
export function share(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError('must be a share from 0 to 1, like 0.05');
  }
  return n;
}

/** An invoice id as the envelope schema allows it. */
export function invoiceId(value: string): string {
  if (!INVOICE_ID.test(value)) {
    throw new InvalidArgumentError('must be an invoice id: 1 to 128 letters, digits and . _ : / -');
  }
  return value;
}

/** A replay name EventBridge accepts. */
export function replayName(value: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(value))
    throw new InvalidArgumentError('must be 1 to 64 letters, digits and . _ -');
  return value;
}
