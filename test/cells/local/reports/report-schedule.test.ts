import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreReason } from '../../../../cells/local/reports/monthly-reports.js';
import {
  MAX_TIMER_MS,
  nextRunMs,
  RETRY_AFTER_FAILURE_MS,
  ReportSchedule,
  reportsSinceMs,
} from '../../../../cells/local/reports/report-schedule.js';
import { openCellDatabase } from '../../../../cells/local/storage/db.js';
import { capturingLogger, type LogLine } from '../storage/support/hook-data.js';

/**
 * The monthly schedule on fake time (vitest's fake timers move `setTimeout` and `Date.now`
 * together): the previous month at 00:05 on the 1st in the cell's zone, the catch-up on start,
 * a retry after a failure, and the one-timer-at-a-time discipline.
 */

const ms = (iso: string) => Date.parse(iso);

interface Harness {
  readonly schedule: ReportSchedule;
  readonly stored: Set<string>;
  readonly calls: { month: string; reason: StoreReason; atMs: number }[];
  readonly lines: LogLine[];
}

function harness(options: {
  timeZone?: string;
  sinceMs?: number;
  stored?: string[];
  store?: (month: string) => Promise<void>;
}): Harness {
  const stored = new Set(options.stored ?? []);
  const calls: Harness['calls'] = [];
  const lines: LogLine[] = [];
  const schedule = new ReportSchedule({
    timeZone: options.timeZone ?? 'UTC',
    clock: { now: () => Date.now() },
    logger: capturingLogger(lines),
    sinceMs: options.sinceMs ?? ms('2020-01-01T00:00:00Z'),
    has: (month) => stored.has(month),
    store: async (month, reason) => {
      calls.push({ month, reason, atMs: Date.now() });
      await options.store?.(month);
      stored.add(month);
    },
  });
  return { schedule, stored, calls, lines };
}

let running: ReportSchedule | undefined;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
  vi.useRealTimers();
});

describe('nextRunMs', () => {
  it('is 00:05 on the next 1st, or on this 1st before 00:05, in the zone', () => {
    expect(nextRunMs(ms('2026-11-20T10:00:00Z'), 'UTC')).toBe(ms('2026-12-01T00:05:00Z'));
    expect(nextRunMs(ms('2026-12-01T00:02:00Z'), 'UTC')).toBe(ms('2026-12-01T00:05:00Z'));
    expect(nextRunMs(ms('2026-12-01T00:05:00Z'), 'UTC')).toBe(ms('2027-01-01T00:05:00Z'));
    expect(nextRunMs(ms('2026-10-15T12:00:00Z'), 'Europe/Paris')).toBe(ms('2026-10-31T23:05:00Z'));
  });
});

describe('ReportSchedule', () => {
  it('stores the previous month at 00:05 on the 1st, not before, month after month into the new year', async () => {
    // Prepare
    vi.setSystemTime(ms('2026-11-20T10:00:00Z'));
    const h = harness({ stored: ['2026-10'] });
    running = h.schedule;

    // Act
    h.schedule.start();
    await vi.advanceTimersByTimeAsync(ms('2026-12-01T00:04:59Z') - Date.now());
    const beforeRun = h.calls.length;
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(ms('2027-01-01T00:05:00Z') - Date.now());

    // Assess
    expect(beforeRun).toBe(0);
    expect(h.calls).toEqual([
      { month: '2026-11', reason: 'schedule', atMs: ms('2026-12-01T00:05:00Z') },
      { month: '2026-12', reason: 'schedule', atMs: ms('2027-01-01T00:05:00Z') },
    ]);
  });

  it("runs at 00:05 in the cell's time zone, not UTC", async () => {
    // Prepare: Paris is UTC+1 on 1 November 2026
    vi.setSystemTime(ms('2026-10-20T10:00:00Z'));
    const h = harness({ timeZone: 'Europe/Paris', stored: ['2026-09'] });
    running = h.schedule;

    // Act
    h.schedule.start();
    await vi.advanceTimersByTimeAsync(ms('2026-10-31T23:05:00Z') - Date.now());

    // Assess
    expect(h.calls).toEqual([{ month: '2026-10', reason: 'schedule', atMs: ms('2026-10-31T23:05:00Z') }]);
  });

  it('catches up at start the previous month it missed while down', async () => {
    // Prepare: the cell ran in October and was down on 1 November
    vi.setSystemTime(ms('2026-11-15T08:00:00Z'));
    const h = harness({ sinceMs: ms('2026-10-20T00:00:00Z') });
    running = h.schedule;

    // Act
    h.schedule.start();
    await vi.advanceTimersByTimeAsync(0);

    // Assess
    expect(h.calls).toEqual([{ month: '2026-10', reason: 'catch-up', atMs: ms('2026-11-15T08:00:00Z') }]);
  });

  it('does not catch up a month that ended before the cell existed, nor one already stored', async () => {
    // Prepare
    vi.setSystemTime(ms('2026-11-15T08:00:00Z'));
    const fresh = harness({ sinceMs: ms('2026-11-02T00:00:00Z') });
    const done = harness({ sinceMs: ms('2026-01-01T00:00:00Z'), stored: ['2026-10'] });
    running = fresh.schedule;

    // Act
    fresh.schedule.start();
    done.schedule.start();
    await vi.advanceTimersByTimeAsync(ms('2026-12-01T00:05:00Z') - Date.now());
    await done.schedule.stop();

    // Assess: the new cell still reports November, the month it ran in
    expect(fresh.calls.map((c) => c.month)).toEqual(['2026-11']);
    expect(done.calls.map((c) => c.month)).toEqual(['2026-11']);
  });

  it('logs a failed report and tries the month again later', async () => {
    // Prepare
    vi.setSystemTime(ms('2026-11-15T08:00:00Z'));
    let failures = 1;
    const h = harness({
      store: async () => {
        if (failures-- > 0) throw new Error('disk full');
      },
    });
    running = h.schedule;

    // Act
    h.schedule.start();
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_FAILURE_MS - 1);
    const afterFailure = h.calls.length;
    await vi.advanceTimersByTimeAsync(1);

    // Assess
    expect(afterFailure).toBe(1);
    expect(h.calls.map((c) => c.atMs - ms('2026-11-15T08:00:00Z'))).toEqual([0, RETRY_AFTER_FAILURE_MS]);
    expect(h.stored.has('2026-10')).toBe(true);
    expect(h.lines.filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({
        msg: 'monthly report failed; the schedule tries again',
        fields: expect.objectContaining({ month: '2026-10', retryInMs: RETRY_AFTER_FAILURE_MS }),
      }),
    ]);
  });

  it('keeps one timer, never armed further than MAX_TIMER_MS, and none after stop', async () => {
    // Prepare
    vi.setSystemTime(ms('2026-11-02T00:00:00Z'));
    const h = harness({ stored: ['2026-10'] });
    const delays: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, delayMs?: number) => {
      delays.push(delayMs ?? 0);
      return realSetTimeout(fn, delayMs);
    }) as typeof setTimeout);

    // Act
    h.schedule.start();
    await vi.advanceTimersByTimeAsync(3 * 86_400_000);
    const pending = vi.getTimerCount();
    await h.schedule.stop();
    spy.mockRestore();

    // Assess: a 29-day wait is a series of re-checks, each arming the next
    expect(pending).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(Math.max(...delays)).toBe(MAX_TIMER_MS);
    expect(delays.length).toBe(1 + (3 * 86_400_000) / MAX_TIMER_MS + 1);
  });
});

describe('reportsSinceMs', () => {
  it('is fixed at the first start: the earlier of then and the oldest archived event', () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-since-'));
    const db = openCellDatabase({ file: path.join(dir, 'cell.sqlite'), synchronous: 'NORMAL', role: 'api' });
    const other = openCellDatabase({
      file: path.join(dir, 'other.sqlite'),
      synchronous: 'NORMAL',
      role: 'api',
    });
    other
      .prepare(
        `INSERT INTO archive (event_id, bus_event_id, detail_type, invoice_id, received_at_ms, body)
         VALUES ('e1', 'b1', 'ingestion', 'INV-1', ?, '{}')`,
      )
      .run(ms('2026-09-30T12:00:00Z'));

    try {
      // Act
      const first = reportsSinceMs(db, ms('2026-11-15T08:00:00Z'));
      const later = reportsSinceMs(db, ms('2027-03-01T00:00:00Z'));
      const withArchive = reportsSinceMs(other, ms('2026-11-15T08:00:00Z'));

      // Assess
      expect([first, later]).toEqual([ms('2026-11-15T08:00:00Z'), ms('2026-11-15T08:00:00Z')]);
      expect(withArchive).toBe(ms('2026-09-30T12:00:00Z'));
    } finally {
      db.close();
      other.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
