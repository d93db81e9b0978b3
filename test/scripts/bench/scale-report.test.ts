import { describe, expect, it } from 'vitest';
import type { ReadFigures } from '../../../scripts/bench/scale-reads.js';
import {
  markdownTable,
  type SizeResult,
  sizeLabel,
  sizeTable,
  summaryTable,
  targetVerdicts,
} from '../../../scripts/bench/scale-report.js';

function read(name: string, p95Ms: number, failures = 0): ReadFigures {
  return { name, n: 20, coldMs: p95Ms * 2, p50Ms: p95Ms / 2, p95Ms, maxMs: p95Ms + 1, failures };
}

function sizeResult(size: number, overrides: Partial<SizeResult> = {}): SizeResult {
  return {
    size,
    stored: size,
    viaHttp: Math.min(size, 1_000_000),
    viaBulk: Math.max(0, size - 1_000_000),
    startSec: 2.5,
    reads: [read('executive 24 h', 40), read('stuck', 12)],
    ingest: {
      events: 20_000,
      requests: 2_000,
      retries: 0,
      sec: 4,
      eventsPerSec: 5_000,
      stored: size + 20_000,
      rounds: [4_800, 5_000, 5_200],
    },
    emptyIngest: {
      events: 20_000,
      requests: 2_000,
      retries: 0,
      sec: 3.6,
      eventsPerSec: 5_500,
      stored: 20_000,
      rounds: [5_500, 5_400, 5_600],
    },
    dbBytes: (size + 20_000) * 500,
    rssAfterReadsMiB: 300,
    rssAfterIngestMiB: 320,
    load: 'load average 1.0 on 2 cores',
    ...overrides,
  };
}

describe('markdownTable', () => {
  it('pads each column to its widest cell, the first left-aligned and the rest right-aligned', () => {
    expect(
      markdownTable(
        ['figure', 'a'],
        [
          ['x', '1,000'],
          ['longer name', '2'],
        ],
      ),
    ).toEqual([
      '| figure      |     a |',
      '|-------------|-------|',
      '| x           | 1,000 |',
      '| longer name |     2 |',
    ]);
  });
});

describe('sizeLabel', () => {
  it.each([
    [300, '300'],
    [20_000, '20k'],
    [1_000_000, '1M'],
    [2_500_000, '2.5M'],
  ])('labels %d as %s', (size, label) => {
    expect(sizeLabel(size)).toBe(label);
  });
});

describe('sizeTable', () => {
  it('says how many records came through HTTP and through the bulk loader, and judges each path', () => {
    // Act
    const lines = sizeTable(
      sizeResult(5_000_000, { reads: [read('executive 30 d', 950), read('stats', 3, 1)] }),
    );

    // Assess
    expect(lines).toContain(
      '### 5,000,000 records (5,000,000 stored: 1,000,000 through HTTP, 4,000,000 through the bulk loader)',
    );
    expect(lines.find((l) => l.startsWith('| executive 30 d'))).toMatch(
      /\| +950\.0 \| +951\.0 \| +0 \| +MISSED \|$/,
    );
    expect(lines.find((l) => l.startsWith('| stats'))).toMatch(/\| +1 \| +MISSED \|$/);
    expect(lines).toContain(
      'ingest through HTTP: 20,000 events in 4.0 s = 5,000 events/s (median of 3 probes: 4,800, 5,000, 5,200 events/s; 0 requests retried)',
    );
    expect(lines).toContain(
      'ingest on an empty cell, probed in turn: 5,500 events/s (median of 3 probes: 5,500, 5,400, 5,600 events/s); the filled cell -9.1 %',
    );
    expect(lines).toContain('disk: 2,510.0 MB (cell.sqlite + -wal) = 500 bytes per stored record');
    expect(lines).toContain(
      'cell RSS: 300 MiB after the reads, 320 MiB after the ingest probe; restart to ready: 2.5 s; no start-up cache warm-up (small file); load average 1.0 on 2 cores',
    );
    expect(sizeTable(sizeResult(10_000_000, { warmupSec: 12.34 }))).toContain(
      'cell RSS: 300 MiB after the reads, 320 MiB after the ingest probe; restart to ready: 2.5 s; start-up cache warm-up ended 12.3 s after ready; the reads waited for it; load average 1.0 on 2 cores',
    );
  });
});

describe('summaryTable', () => {
  it('puts the sizes in columns and every figure in a row', () => {
    // Act
    const lines = summaryTable([
      sizeResult(1_000_000),
      sizeResult(10_000_000, {
        emptyIngest: { ...sizeResult(0).emptyIngest, eventsPerSec: 4_000 },
        warmupSec: 9.5,
      }),
    ]);

    // Assess
    expect(lines).toContain('| figure                          |        1M |       10M |');
    expect(lines).toContain('| records through the bulk loader |         0 | 9,000,000 |');
    expect(lines).toContain('| executive 24 h p95 ms           |      40.0 |      40.0 |');
    expect(lines).toContain('| cell RSS MiB (max)              |       320 |       320 |');
    expect(lines.find((l) => l.startsWith('| cache warm-up after ready s'))).toMatch(/\| +none \| +9\.5 \|$/);
    expect(lines.find((l) => l.startsWith('| ingest events/s, empty cell'))).toMatch(
      /\| +5,500 \| +4,000 \|$/,
    );
    expect(lines.find((l) => l.startsWith('| ingest vs empty cell'))).toMatch(/\| +-9\.1 % \| +25\.0 % \|$/);
  });
});

describe('targetVerdicts', () => {
  it('judges the reads and the ingest rate at the largest size and RSS at every size', () => {
    // Act
    const lines = targetVerdicts([
      sizeResult(1_000_000, { rssAfterIngestMiB: 600 }),
      sizeResult(10_000_000, {
        reads: [read('executive 30 d', 250), read('stuck', 10)],
        ingest: {
          events: 20_000,
          requests: 2_000,
          retries: 0,
          sec: 5,
          eventsPerSec: 4_600,
          stored: 1,
          rounds: [4_600],
        },
        emptyIngest: { ...sizeResult(0).emptyIngest, eventsPerSec: 5_000, rounds: [5_000] },
      }),
    ]);

    // Assess
    expect(lines).toContain(
      '- every read path p95 ≤ 200 ms at 10,000,000 records: MISSED (1 of 2 paths over or failing; worst executive 30 d 250.0 ms)',
    );
    expect(lines).toContain(
      '- ingest at 10,000,000 records within 10 % of the empty cell: met (4,600 vs 5,000 events/s, -8.0 %, medians of probes taken in turn)',
    );
    expect(lines).toContain('- cell RSS ≤ 512 MiB at every size: MISSED (max 600 MiB at 1,000,000 records)');
  });

  it('misses the ingest target when the rate fell by more than 10 %', () => {
    const empty = { ...sizeResult(0).emptyIngest, eventsPerSec: 6_000 };
    const lines = targetVerdicts([sizeResult(1_000, { emptyIngest: empty })]);
    expect(lines.find((l) => l.startsWith('- ingest'))).toContain(
      'MISSED (5,000 vs 6,000 events/s, -16.7 %, medians of probes taken in turn)',
    );
  });
});
