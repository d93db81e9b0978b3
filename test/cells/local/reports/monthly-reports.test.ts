import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MonthlyReports, SETTLE_MS } from '../../../../cells/local/reports/monthly-reports.js';
import { ReportFiles } from '../../../../cells/local/reports/report-files.js';
import { ManualClock } from '../../../../consumers/clock.js';
import type { MonthlyReportData } from '../../../../consumers/reports/monthly-report.js';
import { REPORT_FORMATS } from '../../../../consumers/reports/render-report.js';
import type { MonthlyReportSource, ReportRange } from '../../../../consumers/reports/report-source.js';
import { REPORT_FORMAT_NAMES } from '../../../../schemas/api/reports.js';
import { capturingLogger, type LogLine } from '../storage/support/hook-data.js';

/**
 * Generating, storing and answering reports over a source of plain data: what is stored when
 * (a month is closed five minutes after it ends), one generation for concurrent asks, the stored
 * file preferred, and the log line with the figures.
 */

const NOVEMBER_END_MS = Date.parse('2026-12-01T00:00:00Z');
const DATA: MonthlyReportData = {
  stages: ['ingestion', 'posting'],
  received: [
    { vendorId: 'V-1', currency: 'EUR', invoices: 3, minor: 30_000n },
    { vendorId: 'V-2', currency: 'USD', invoices: 2, minor: 5_000n },
  ],
  vendorNames: new Map(),
  posted: [{ currency: 'EUR', status: 'POSTED', invoices: 1, minor: 10_000n }],
  paymentTerms: [],
  open: [],
  stuck: [],
  notes: [],
};

let dir: string;
let clock: ManualClock;
let reads: ReportRange[];
let lines: LogLine[];
let reports: MonthlyReports;
let files: ReportFiles;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monthly-reports-'));
  clock = new ManualClock(Date.parse('2026-11-20T10:00:00Z'));
  reads = [];
  lines = [];
  const source: MonthlyReportSource = {
    readMonth: async (range) => {
      reads.push(range);
      return DATA;
    },
  };
  files = new ReportFiles(path.join(dir, 'reports'));
  reports = new MonthlyReports({
    source,
    files,
    timeZone: 'UTC',
    cellName: 'local',
    clock,
    logger: capturingLogger(lines),
  });
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('MonthlyReports', () => {
  it('renders the formats the HTTP contract names', () => {
    expect([...REPORT_FORMAT_NAMES]).toEqual([...REPORT_FORMATS]);
  });

  describe('store', () => {
    it('stores the three renderings and logs one line with the figures, never money', async () => {
      // Act
      const stored = await reports.store('2026-10', 'schedule');

      // Assess
      expect(files.has('2026-10')).toBe(true);
      expect(stored.report.month).toBe('2026-10');
      expect(stored.bytes.json).toBe(fs.statSync(files.fileOf('2026-10', 'json')).size);
      expect(lines).toEqual([
        {
          level: 'info',
          msg: 'monthly report stored',
          fields: expect.objectContaining({
            month: '2026-10',
            reason: 'schedule',
            invoicesReceived: 5,
            invoicesPosted: 1,
            currencies: ['EUR', 'USD'],
            monthComplete: true,
          }),
        },
      ]);
    });

    it('generates once for concurrent asks of the same month', async () => {
      // Act
      const [a, b] = await Promise.all([
        reports.store('2026-10', 'schedule'),
        reports.store('2026-10', 'on demand'),
      ]);

      // Assess
      expect(a).toBe(b);
      expect(reads).toHaveLength(1);
    });
  });

  describe('rendering', () => {
    it('generates the month so far without storing it', async () => {
      // Act
      const answer = await reports.rendering('2026-11', 'json');

      // Assess
      expect(answer.stored).toBe(false);
      expect(JSON.parse(String(answer.body))).toMatchObject({ month: '2026-11', monthComplete: false });
      expect(reads[0]?.asOfMs).toBe(clock.now());
      expect(files.list()).toEqual([]);
    });

    it('stores a month only once it has been over for SETTLE_MS', async () => {
      // Act
      clock.set(NOVEMBER_END_MS + SETTLE_MS - 1);
      const settling = await reports.rendering('2026-11', 'csv');
      clock.set(NOVEMBER_END_MS + SETTLE_MS);
      const closed = await reports.rendering('2026-11', 'csv');

      // Assess
      expect([settling.stored, closed.stored]).toEqual([false, true]);
      expect(String(closed.body)).toBe(fs.readFileSync(files.fileOf('2026-11', 'csv'), 'utf8'));
    });

    it('answers the stored file as stored, without reading the store again', async () => {
      // Prepare
      await reports.store('2026-10', 'schedule');
      fs.writeFileSync(files.fileOf('2026-10', 'html'), '<p>as stored</p>');

      // Act
      const answer = await reports.rendering('2026-10', 'html');

      // Assess
      expect(answer).toEqual({ body: Buffer.from('<p>as stored</p>'), stored: true });
      expect(reads).toHaveLength(1);
    });

    it('still answers a closed month it cannot store, and says why in the log', async () => {
      // Prepare: a file where the reports folder should be
      fs.writeFileSync(files.dir, 'not a folder');

      // Act
      const answer = await reports.rendering('2026-10', 'json');

      // Assess
      expect(answer.stored).toBe(false);
      expect(JSON.parse(String(answer.body))).toMatchObject({ month: '2026-10', monthComplete: true });
      expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual([
        'warn monthly report not stored; answered without storing it',
      ]);
    });

    it('refuses a bad month and a month that has not started, storing nothing', async () => {
      await expect(reports.rendering('2026-1', 'json')).rejects.toThrow(
        'month must be YYYY-MM like 2026-10, got "2026-1"',
      );
      await expect(reports.rendering('2026-12', 'json')).rejects.toThrow(
        /starts at 2026-12-01T00:00:00\.000Z/,
      );
      expect(files.list()).toEqual([]);
    });
  });
});
