import { describe, expect, it } from 'vitest';
import {
  type SoakMinute,
  soakHeader,
  soakRow,
  soakVerdicts,
} from '../../../scripts/bench/scale-soak-report.js';

function minute(n: number, overrides: Partial<SoakMinute> = {}): SoakMinute {
  return {
    minute: n,
    sentEvents: 90_000,
    acceptedEvents: 90_000,
    skippedEvents: 0,
    failedRequests: 0,
    rssMiB: 300,
    ingestP99Ms: 45,
    readP99Ms: 80,
    maxMs: 120,
    over1s: 0,
    backlog: 12,
    ...overrides,
  };
}

describe('soakRow', () => {
  it('lines each minute up under the header', () => {
    // Act
    const [header, rule] = soakHeader();
    const row = soakRow(minute(3, { backlog: Number.NaN }));

    // Assess
    expect(row).toHaveLength((header as string).length);
    expect(rule).toHaveLength((header as string).length);
    expect(row).toBe(
      '|      3 |    90,000 |    90,000 |        0 |          0 |      300 |          45.0 |        80.0 |     120.0 |        0 |      n/a |',
    );
  });
});

describe('soakVerdicts', () => {
  it('meets the targets when no request took over 1 s and RSS stayed flat after minute 5', () => {
    // Act
    const lines = soakVerdicts(
      Array.from({ length: 8 }, (_, i) => minute(i + 1, { rssMiB: i < 5 ? 250 + i * 10 : 292 })),
      1_500,
    );

    // Assess
    expect(lines).toContain('- no request over 1 s: met (0 over 1 s; slowest 120.0 ms)');
    expect(lines).toContain(
      '- no RSS growth after minute 5: met (minute 5 290 MiB → minute 8 292 MiB, +2 MiB; tolerance 5 %)',
    );
    expect(lines).toContain('- cell RSS ≤ 512 MiB at steady state: met (max 292 MiB from minute 5 on)');
  });

  it('misses them on a slow request, RSS growth and RSS over 512 MiB', () => {
    // Act
    const lines = soakVerdicts(
      Array.from({ length: 7 }, (_, i) =>
        minute(i + 1, { rssMiB: 400 + i * 40, over1s: i === 6 ? 2 : 0, maxMs: i === 6 ? 1_800 : 100 }),
      ),
      1_500,
    );

    // Assess
    expect(lines).toContain('- no request over 1 s: MISSED (2 over 1 s; slowest 1,800.0 ms)');
    expect(lines).toContain(
      '- no RSS growth after minute 5: MISSED (minute 5 560 MiB → minute 7 640 MiB, +80 MiB; tolerance 5 %)',
    );
    expect(lines).toContain('- cell RSS ≤ 512 MiB at steady state: MISSED (max 640 MiB from minute 5 on)');
  });

  it('cannot judge RSS growth on a soak of 5 minutes or less, and says so', () => {
    const lines = soakVerdicts([minute(1)], 200);
    expect(lines).toContain(
      '- no RSS growth after minute 5: n/a (the soak ran 1 minute(s); growth is judged from minute 5 on)',
    );
    expect(lines[1]).toBe(
      'soak: 90,000 events sent of 12,000 planned (200/s), 90,000 accepted, 0 skipped at the outstanding cap, 0 requests failed; backlog at the end 12',
    );
  });
});
