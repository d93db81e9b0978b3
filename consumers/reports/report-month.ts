import { isTimeZone } from '../../cells/topology.js';

/**
 * Calendar months in an IANA time zone, as UTC epoch-ms windows: the monthly report's period and
 * its schedule. Month edges are the first instant of the 1st of the month in the zone (00:00, or
 * the first instant after a daylight-saving gap that swallows midnight). Pure; `Intl` carries the
 * IANA database Node ships.
 *
 * @example
 * parseReportMonth('2026-10');                 // '2026-10'
 * monthRange('2026-10', 'Europe/Paris');        // { fromMs: Date.parse('2026-09-30T22:00:00Z'), toMs: Date.parse('2026-10-31T23:00:00Z') }
 * previousMonth(Date.parse('2026-11-01T00:30:00Z'), 'Europe/Paris'); // '2026-10'
 */

/** A month text or time zone that cannot be used; the message names the value and the form. */
export class ReportMonthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportMonthError';
  }
}

const MONTH = /^(\d{4})-(\d{2})$/;
/** Epoch ms cannot go before 1970 here (reports are of stored data) nor past year 9999 (ISO text). */
const MIN_YEAR = 1970;
const MAX_YEAR = 9999;

/**
 * The canonical `YYYY-MM` of a month text. Throws {@link ReportMonthError} naming the value.
 *
 * @example
 * parseReportMonth('2026-10'); // '2026-10'
 * parseReportMonth('2026-13'); // throws: month must be YYYY-MM like 2026-10, got "2026-13"
 */
export function parseReportMonth(text: string): string {
  const match = MONTH.exec(text);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  if (!match || month < 1 || month > 12) {
    throw new ReportMonthError(`month must be YYYY-MM like 2026-10, got ${JSON.stringify(text)}`);
  }
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new ReportMonthError(
      `month must be YYYY-MM like 2026-10 with a year from ${MIN_YEAR} to ${MAX_YEAR}, got ${JSON.stringify(text)}`,
    );
  }
  return text;
}

function checkedZone(timeZone: string): string {
  if (!isTimeZone(timeZone)) {
    throw new ReportMonthError(
      `timeZone must be an IANA time zone like UTC or Europe/Paris, got ${JSON.stringify(timeZone)}`,
    );
  }
  return timeZone;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** The wall-clock reading as if it were UTC, in ms (whole seconds). */
  readonly asUtcMs: number;
}

function wallTime(ms: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return { year, month, day, asUtcMs: Date.UTC(year, month - 1, day, hour, minute, second) };
}

/** The zone's offset from UTC at instant `ms`, in ms (wall clock minus UTC). */
function offsetMs(ms: number, timeZone: string): number {
  const flooredMs = Math.floor(ms / 1000) * 1000;
  return wallTime(flooredMs, timeZone).asUtcMs - flooredMs;
}

const DAY_MS = 86_400_000;

/**
 * The first instant of the 1st of `month` (1-based) of `year` in the zone. The candidates are local
 * midnight read with the offsets in force a day before and a day after; the earliest whose wall
 * clock is on that date wins (a DST overlap at midnight: the first midnight; a gap: the gap's end).
 */
function monthStartMs(year: number, month: number, timeZone: string): number {
  const naive = Date.UTC(year, month - 1, 1);
  const offsets = new Set([offsetMs(naive - DAY_MS, timeZone), offsetMs(naive + DAY_MS, timeZone)]);
  offsets.add(offsetMs(naive, timeZone));
  const onTheDay = [...offsets]
    .map((offset) => naive - offset)
    .filter((ms) => {
      const wall = wallTime(ms, timeZone);
      return wall.year === year && wall.month === month && wall.day === 1;
    });
  return Math.min(...onTheDay);
}

function split(month: string): { year: number; month: number } {
  const canonical = parseReportMonth(month);
  return { year: Number(canonical.slice(0, 4)), month: Number(canonical.slice(5, 7)) };
}

function monthText(year: number, month: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
}

/**
 * The calendar month's edges in the zone as UTC epoch ms, `[fromMs, toMs)`. Throws
 * {@link ReportMonthError} for a bad month or zone.
 *
 * @example
 * monthRange('2026-12', 'UTC'); // { fromMs: Date.parse('2026-12-01T00:00:00Z'), toMs: Date.parse('2027-01-01T00:00:00Z') }
 */
export function monthRange(month: string, timeZone: string): { fromMs: number; toMs: number } {
  const zone = checkedZone(timeZone);
  const { year, month: m } = split(month);
  const next = m === 12 ? { year: year + 1, month: 1 } : { year, month: m + 1 };
  return { fromMs: monthStartMs(year, m, zone), toMs: monthStartMs(next.year, next.month, zone) };
}

/**
 * The `YYYY-MM` that `nowMs` falls in, in the zone.
 *
 * @example
 * monthOf(Date.parse('2026-10-31T23:30:00Z'), 'Europe/Paris'); // '2026-11'
 */
export function monthOf(nowMs: number, timeZone: string): string {
  const wall = wallTime(nowMs, checkedZone(timeZone));
  return monthText(wall.year, wall.month);
}

/**
 * The month before the one `nowMs` falls in, in the zone: what the 1st-of-month job reports.
 *
 * @example
 * previousMonth(Date.parse('2027-01-01T05:00:00Z'), 'UTC'); // '2026-12'
 */
export function previousMonth(nowMs: number, timeZone: string): string {
  const wall = wallTime(nowMs, checkedZone(timeZone));
  return wall.month === 1 ? monthText(wall.year - 1, 12) : monthText(wall.year, wall.month - 1);
}

/**
 * The next start of a month in the zone strictly after `nowMs` (for schedulers).
 *
 * @example
 * nextMonthStartMs(Date.parse('2026-10-15T12:00:00Z'), 'Asia/Kolkata'); // Date.parse('2026-10-31T18:30:00Z')
 */
export function nextMonthStartMs(nowMs: number, timeZone: string): number {
  return monthRange(monthOf(nowMs, timeZone), timeZone).toMs;
}
