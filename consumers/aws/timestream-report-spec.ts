import { isStageName, isTimeZone, type StageName } from '../../cells/topology.js';

/**
 * Where the monthly report's figures are in a cell's Timestream latest-state table: per figure the
 * latest-state scope whose rows it reads (the scope id is the rows' measure name) and the stage it
 * is limited to. The CDK stack derives it from the rollup specs (`stacks/monthly-report-spec.ts`;
 * `consumers/aws` may not import `dashboards/`) and hands it to the report Lambda (environment) and
 * to the ops CLI (a stack output), so both read exactly the rows the deployed scheduled queries keep.
 *
 * @example
 * const spec = parseTimestreamReportSpec(env.REPORT_SOURCE_SPEC, 'environment variable REPORT_SOURCE_SPEC');
 * spec.figures.received; // { scope: 's_1a2b3c4d5e', stage: 'ingestion' }
 */

/** The figures a Timestream source reads from latest-state rows. */
export const REPORT_SOURCE_FIGURES = ['received', 'posted', 'paymentTerms', 'open'] as const;
export type ReportSourceFigure = (typeof REPORT_SOURCE_FIGURES)[number];

/** One figure's rows. */
export interface ReportFigureSource {
  /** Latest-state scope id (`s_` + 10 hex digits): the measure name of the rows. */
  readonly scope: string;
  /** Only this stage's rows (a per invoice-and-stage scope); absent: the per-invoice scope. */
  readonly stage?: StageName;
}

export interface TimestreamReportSpec {
  /** IANA time zone of the calendar months (the topology's `timeZone`). */
  readonly timeZone: string;
  readonly figures: Readonly<Record<ReportSourceFigure, ReportFigureSource>>;
}

/** A report spec that cannot be used; names where it came from and the field. */
export class ReportSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportSpecError';
  }
}

/** The ids `latestScopes` gives (`dashboards/rollups/rollup-specs.ts`). */
const SCOPE_ID = /^s_[0-9a-f]{10}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function figureOf(value: unknown, path: string, origin: string): ReportFigureSource {
  if (!isPlainObject(value)) throw new ReportSpecError(`${origin}: ${path} must be an object`);
  for (const key of Object.keys(value)) {
    if (key !== 'scope' && key !== 'stage')
      throw new ReportSpecError(`${origin}: ${path}.${key} is not known`);
  }
  const { scope, stage } = value;
  if (typeof scope !== 'string' || !SCOPE_ID.test(scope)) {
    throw new ReportSpecError(
      `${origin}: ${path}.scope must be a latest-state scope id like s_0123456789, got ${JSON.stringify(scope)}`,
    );
  }
  if (stage === undefined) return { scope };
  if (typeof stage !== 'string' || !isStageName(stage)) {
    throw new ReportSpecError(`${origin}: ${path}.stage must be a stage name, got ${JSON.stringify(stage)}`);
  }
  return { scope, stage };
}

/**
 * The spec in `text` (JSON, as {@link reportSpecText} writes it), checked field by field. Throws
 * {@link ReportSpecError} naming `origin` and the field. Pure.
 *
 * @example
 * parseTimestreamReportSpec('{"timeZone":"UTC","figures":{...}}', 'stack output MonthlyReportSpec');
 */
export function parseTimestreamReportSpec(text: string, origin: string): TimestreamReportSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ReportSpecError(`${origin} is not JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new ReportSpecError(`${origin} must be a JSON object`);
  const { timeZone, figures } = parsed;
  if (!isTimeZone(timeZone)) {
    throw new ReportSpecError(
      `${origin}: timeZone must be an IANA time zone like UTC or Europe/Paris, got ${JSON.stringify(timeZone)}`,
    );
  }
  if (!isPlainObject(figures)) throw new ReportSpecError(`${origin}: figures must be an object`);
  for (const key of Object.keys(figures)) {
    if (!(REPORT_SOURCE_FIGURES as readonly string[]).includes(key)) {
      throw new ReportSpecError(`${origin}: figures.${key} is not known`);
    }
  }
  const read = (figure: ReportSourceFigure) => figureOf(figures[figure], `figures.${figure}`, origin);
  return {
    timeZone,
    figures: {
      received: read('received'),
      posted: read('posted'),
      paymentTerms: read('paymentTerms'),
      open: read('open'),
    },
  };
}

/**
 * The spec as JSON text (an environment variable or a stack output value). Pure.
 *
 * @example
 * environment: { [LAMBDA_ENV.reportSpec]: reportSpecText(spec) }
 */
export function reportSpecText(spec: TimestreamReportSpec): string {
  return JSON.stringify(spec);
}
