import { describe, expect, it } from 'vitest';
import {
  parseTimestreamReportSpec,
  ReportSpecError,
  reportSpecText,
  type TimestreamReportSpec,
} from '../../../consumers/aws/timestream-report-spec.js';

const SPEC: TimestreamReportSpec = {
  timeZone: 'Europe/Paris',
  figures: {
    received: { scope: 's_0123456789', stage: 'ingestion' },
    posted: { scope: 's_0123456789', stage: 'posting' },
    paymentTerms: { scope: 's_0123456789', stage: 'ingestion' },
    open: { scope: 's_abcdef0123' },
  },
};

const ORIGIN = 'environment variable REPORT_SOURCE_SPEC';

/** The spec as plain JSON data, for tests that break it. */
interface SpecJson {
  timeZone: unknown;
  figures: Record<string, Record<string, unknown>>;
}

/** The spec's JSON with one change applied to the parsed object. */
function textWith(change: (spec: SpecJson) => void): string {
  const spec = JSON.parse(reportSpecText(SPEC)) as SpecJson;
  change(spec);
  return JSON.stringify(spec);
}

describe('parseTimestreamReportSpec', () => {
  it('reads back what reportSpecText wrote', () => {
    expect(parseTimestreamReportSpec(reportSpecText(SPEC), ORIGIN)).toEqual(SPEC);
  });

  it.each([
    ['not JSON', '{', `${ORIGIN} is not JSON`],
    ['not an object', '[]', `${ORIGIN} must be a JSON object`],
    [
      'an unknown time zone',
      textWith((s) => {
        s.timeZone = 'Mars/Olympus';
      }),
      `${ORIGIN}: timeZone must be an IANA time zone like UTC or Europe/Paris, got "Mars/Olympus"`,
    ],
    [
      'a missing figure',
      textWith((s) => {
        delete s.figures.open;
      }),
      `${ORIGIN}: figures.open must be an object`,
    ],
    [
      'an unknown figure',
      textWith((s) => {
        s.figures.margin = { scope: 's_0123456789' };
      }),
      `${ORIGIN}: figures.margin is not known`,
    ],
    [
      'a scope that is not a scope id',
      textWith((s) => {
        (s.figures.posted as Record<string, unknown>).scope = "s_1' OR 1=1";
      }),
      `${ORIGIN}: figures.posted.scope must be a latest-state scope id like s_0123456789, got "s_1' OR 1=1"`,
    ],
    [
      'an unknown stage',
      textWith((s) => {
        (s.figures.received as Record<string, unknown>).stage = 'shipping';
      }),
      `${ORIGIN}: figures.received.stage must be a stage name, got "shipping"`,
    ],
    [
      'an unknown field of a figure',
      textWith((s) => {
        (s.figures.received as Record<string, unknown>).table = 'records';
      }),
      `${ORIGIN}: figures.received.table is not known`,
    ],
  ])('refuses %s, naming the field', (_case, text, message) => {
    expect(() => parseTimestreamReportSpec(text, ORIGIN)).toThrow(ReportSpecError);
    expect(() => parseTimestreamReportSpec(text, ORIGIN)).toThrow(message);
  });
});
