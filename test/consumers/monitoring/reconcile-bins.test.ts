import { describe, expect, it } from 'vitest';
import type { StageName } from '../../../cells/topology.js';
import {
  type BinCounts,
  type BinEvidence,
  balancedByCounts,
  binKey,
  binnedReport,
  binOutcome,
  binStartOf,
  binsToList,
  missingBound,
  type QueuedEvent,
} from '../../../consumers/monitoring/reconcile-bins.js';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const MIN = 60_000;

function counts(stage: StageName, minute: number, c: Partial<BinCounts> = {}): BinCounts {
  return { stage, binStartMs: T0 + minute * MIN, accepted: 0, stored: 0, unaccepted: 0, ...c };
}

function evidence(c: BinCounts, more: Partial<BinEvidence> = {}): BinEvidence {
  return { counts: c, queued: [], flagged: [], beyondArchive: false, ...more };
}

function queued(eventId: string, q: Partial<QueuedEvent> = {}): QueuedEvent {
  return { eventId, dlq: false, accepted: true, stored: false, ...q };
}

describe('binStartOf', () => {
  it('floors to the minute, also before 1970', () => {
    // Act, Assess
    expect(binStartOf(T0 + 59_999)).toBe(T0);
    expect(binStartOf(T0 + MIN)).toBe(T0 + MIN);
    expect(binStartOf(-1)).toBe(-MIN);
  });
});

describe('balancedByCounts', () => {
  it('balances a bin whose accepted events are all stored and which has nothing queued', () => {
    // Act, Assess
    expect(balancedByCounts(counts('ingestion', 0, { accepted: 3, stored: 3 }), [])).toBe(true);
    expect(balancedByCounts(counts('ingestion', 0, { accepted: 3, stored: 3, unaccepted: 1 }), [])).toBe(
      false,
    );
    expect(balancedByCounts(counts('ingestion', 0, { accepted: 3, stored: 3 }), [queued('e1')])).toBe(false);
  });
});

describe('missingBound', () => {
  it('is 0 when every accepted event is stored or queued unstored', () => {
    // Prepare: 4 accepted; p1, p2 stored; p3 queued, p4 in the DLQ, p2 still queued until its delete.
    const e = evidence(counts('posting', 0, { accepted: 4, stored: 2 }), {
      queued: [queued('p3'), queued('p2', { stored: true }), queued('p4', { dlq: true })],
    });

    // Act, Assess: 4 accepted − 2 stored − 2 queued and not stored.
    expect(missingBound(e)).toBe(0);
  });

  it('counts a lost event, and a record stored without acceptance as a negative', () => {
    // Act, Assess
    expect(missingBound(evidence(counts('posting', 0, { accepted: 3, stored: 2 })))).toBe(1);
    expect(missingBound(evidence(counts('posting', 0, { accepted: 2, stored: 3 })))).toBe(-1);
    expect(missingBound(evidence(counts('posting', 0, { accepted: 2, stored: 3, unaccepted: 1 })))).toBe(0);
  });

  it('does not count a queued message that was never accepted', () => {
    // Prepare
    const e = evidence(counts('posting', 0, { accepted: 1, stored: 0 }), {
      queued: [queued('foreign', { accepted: false })],
    });

    // Act, Assess
    expect(missingBound(e)).toBe(1);
  });
});

describe('binsToList', () => {
  it('lists only bins with a non-zero bound within the archive, oldest first, within the limits', () => {
    // Prepare
    const lost = (minute: number, accepted: number, stage: StageName = 'ingestion') =>
      evidence(counts(stage, minute, { accepted, stored: accepted - 1 }));
    const inFlight = evidence(counts('ingestion', 0, { accepted: 1 }), { queued: [queued('q1')] });
    const beyond = { ...lost(-1, 5), beyondArchive: true };
    const all = [lost(3, 2), lost(1, 40), inFlight, beyond, lost(2, 2, 'posting'), lost(2, 2)];

    // Act
    const chosen = binsToList(all, { bins: 3, events: 10 });

    // Assess: the 40-event bin would pass the event limit and is skipped; the bin limit stops at 3.
    expect(chosen.map((e) => binKey(e.counts))).toEqual([
      `${T0 + 2 * MIN}|ingestion`,
      `${T0 + 2 * MIN}|posting`,
      `${T0 + 3 * MIN}|ingestion`,
    ]);
  });
});

describe('binOutcome', () => {
  it('names the missing events of a listed bin and the surplus records it cannot name', () => {
    // Prepare: a1..a3 accepted; a1 stored, a2 queued, a3 nowhere; 1 flagged record, 1 unnamed.
    const e = evidence(counts('ingestion', 0, { accepted: 3, stored: 3, unaccepted: 2 }), {
      queued: [queued('a2')],
      flagged: ['x1'],
    });

    // Act
    const outcome = binOutcome(e, { accepted: ['a1', 'a2', 'a3'], stored: new Set(['a1']) });

    // Assess
    expect(outcome).toEqual({ missing: ['a3'], unexpected: ['x1'], unnamedMissing: 0, unnamedUnexpected: 1 });
  });

  it('proves a bin without listing when its bound is 0, naming queued and flagged unexpected events', () => {
    // Prepare
    const e = evidence(counts('ingestion', 0, { accepted: 2, stored: 2, unaccepted: 1 }), {
      queued: [queued('a2'), queued('foreign', { accepted: false })],
      flagged: ['x1'],
    });

    // Act
    const outcome = binOutcome(e);

    // Assess
    expect(outcome).toEqual({
      missing: [],
      unexpected: ['foreign', 'x1'],
      unnamedMissing: 0,
      unnamedUnexpected: 0,
    });
  });

  it('counts what it cannot list', () => {
    // Act, Assess
    expect(binOutcome(evidence(counts('ingestion', 0, { accepted: 5, stored: 3 })))).toMatchObject({
      missing: [],
      unnamedMissing: 2,
    });
    expect(binOutcome(evidence(counts('ingestion', 0, { accepted: 3, stored: 5 })))).toMatchObject({
      unexpected: [],
      unnamedUnexpected: 2,
    });
  });
});

describe('binnedReport', () => {
  it('sums the stages, names the listed bins and explains the bins it could not name', () => {
    // Prepare
    const window = { fromMs: T0 - 10 * MIN, toMs: T0 + 10 * MIN };
    const listed = evidence(counts('ingestion', 1, { accepted: 2, stored: 1 }));
    const dlq = evidence(counts('ingestion', 2, { accepted: 1 }), { queued: [queued('d1', { dlq: true })] });
    const old = evidence(counts('posting', -5, { accepted: 4, stored: 1 }), { beyondArchive: true });

    // Act
    const report = binnedReport({
      window,
      stages: ['ingestion', 'posting'],
      totals: [
        { stage: 'ingestion', accepted: 10, stored: 8, bins: 4 },
        { stage: 'posting', accepted: 4, stored: 1, bins: 1 },
      ],
      evidence: [listed, dlq, old],
      listings: new Map([[binKey(listed.counts), { accepted: ['i1', 'i2'], stored: new Set(['i1']) }]]),
      archiveHorizonMs: T0 - MIN,
      notes: ['window clipped'],
    });

    // Assess
    expect(report).toMatchObject({
      fromMs: window.fromMs,
      toMs: window.toMs,
      balanced: false,
      missing: 1,
      unexpected: 0,
      binMs: MIN,
      binsChecked: 5,
      unbalancedBins: 3,
      listedBins: 1,
      unlistedBins: 1,
    });
    expect(report.stages).toEqual([
      {
        stage: 'ingestion',
        accepted: 10,
        stored: 8,
        inDlq: 1,
        inFlight: 0,
        accounted: 9,
        missing: ['i2'],
        unexpected: [],
        unnamed: 0,
        balanced: false,
      },
      {
        stage: 'posting',
        accepted: 4,
        stored: 1,
        inDlq: 0,
        inFlight: 0,
        accounted: 1,
        missing: [],
        unexpected: [],
        unnamed: 3,
        balanced: false,
      },
    ]);
    expect(report.notes[0]).toBe('window clipped');
    expect(report.notes[1]).toMatch(
      /^1 bin\(s\) .* older than the archive's retention \(received before 2026-11-20T08:59/,
    );
  });

  it('balances a window whose bins all balance by their counters', () => {
    // Act
    const report = binnedReport({
      window: { fromMs: T0, toMs: T0 + MIN },
      stages: ['ingestion'],
      totals: [{ stage: 'ingestion', accepted: 7, stored: 7, bins: 1 }],
      evidence: [],
      listings: new Map(),
      notes: [],
    });

    // Assess
    expect(report).toMatchObject({ balanced: true, missing: 0, unbalancedBins: 0, notes: [] });
    expect(report.stages[0]).toMatchObject({ accepted: 7, accounted: 7, balanced: true, unnamed: 0 });
  });
});
