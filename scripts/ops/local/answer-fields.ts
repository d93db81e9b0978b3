import type { CellTopology, StageName } from '../../../cells/topology.js';
import { isoFromMs } from '../../../schemas/time.js';

/**
 * Defensive readers of the local cell's JSON answers: a field of the wrong type reads as absent
 * (or a fallback), never as a crash. Pure.
 *
 * @example
 * const body = asRecord(answer.body);
 * const total = num(body.total, messages.length);
 */
export function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** `{ [key]: value }`, or `{}` when the value is absent: spreads into an object with optional fields. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The `message` of an error body, else the body as JSON. */
export function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body);
}

/** A stage name of the topology, else `undefined`. */
export function stageOf(value: unknown, topology: CellTopology): StageName | undefined {
  return typeof value === 'string' && topology.stages.some((s) => s.name === value)
    ? (value as StageName)
    : undefined;
}

/** An ISO time from an ISO string or epoch ms, whichever the body carries. */
export function timeOf(text: unknown, ms: unknown): string | undefined {
  if (typeof text === 'string') return text;
  return typeof ms === 'number' && Number.isFinite(ms) ? isoFromMs(ms) : undefined;
}

/** The first of `keys` that holds an array. */
export function firstArray(body: Record<string, unknown>, ...keys: string[]): unknown[] {
  for (const key of keys) if (Array.isArray(body[key])) return body[key] as unknown[];
  return [];
}

/** The body's `notes` strings. */
export function notesOf(body: Record<string, unknown>): string[] {
  return asArray(body.notes).filter((n): n is string => typeof n === 'string');
}
