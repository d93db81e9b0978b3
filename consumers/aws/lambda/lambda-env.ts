/**
 * The environment contract between the CellStack (which sets these variables) and the Lambda
 * handlers (which read them once, at module load, through the parse functions below). Nothing
 * else in the code reads `process.env`.
 *
 * @example
 * // in a construct
 * environment: { [LAMBDA_ENV.stage]: stage.name, [LAMBDA_ENV.topicArn]: topic.topicArn }
 * // in a handler's dependencies, at module load
 * const topology = cellTopologyFrom(process.env);
 */
export const LAMBDA_ENV = {
  stage: 'STAGE',
  cellName: 'CELL_NAME',
  topicArn: 'TOPIC_ARN',
  database: 'TIMESTREAM_DATABASE',
  table: 'TIMESTREAM_TABLE',
  /** Processor and stuck monitor: which store (`timestream` | `aurora-postgresql`); unset = timestream. */
  storeKind: 'STORE_KIND',
  /** Processor, migrations and stuck monitor (Aurora cells): the cluster the Data API statements run on. */
  auroraClusterArn: 'AURORA_CLUSTER_ARN',
  /** Processor and migrations (Aurora cells): the Secrets Manager secret the Data API signs in with. */
  auroraSecretArn: 'AURORA_SECRET_ARN',
  /** Processor and migrations (Aurora cells): the database of the records. */
  auroraDatabase: 'AURORA_DATABASE',
  retryBudgetMs: 'STORE_RETRY_BUDGET_MS',
  region: 'AWS_REGION',
  /** Stuck-invoice monitor: the SNS topic its alerts go to (the cell's warning topic). */
  alertTopicArn: 'ALERT_TOPIC_ARN',
  /** Stuck-invoice monitor: how far back it looks for unfinished invoices, in hours. */
  lookbackHours: 'STUCK_LOOKBACK_HOURS',
  /** Monthly report: the bucket it writes `reports/<YYYY-MM>.{html,json,csv}` to. */
  reportBucket: 'REPORT_BUCKET',
  /** Monthly report: the KMS key its objects are encrypted under. */
  reportKeyArn: 'REPORT_KEY_ARN',
  /** Monthly report: the SNS topic told that a report is ready (a link, never figures). */
  reportTopicArn: 'REPORT_TOPIC_ARN',
  /** Monthly report: which latest-state rows each figure reads (`TimestreamReportSpec` as JSON). */
  reportSpec: 'REPORT_SOURCE_SPEC',
  /**
   * Monthly report: every stage's queue and DLQ URL, for the reconciliation's depths, as JSON
   * `{"<stage>": {"queueUrl": "...", "dlqUrl": "..."}}` (written by the stack).
   */
  reportStageQueues: 'REPORT_STAGE_QUEUES',
  /**
   * Every function: its cell's topology as JSON (`TopologyEnv` of `topology-env.ts`, written by
   * its `topologyEnvValue`), so a cell whose catalog entry overrides a setting (e.g. `eventSource`)
   * runs its functions on that cell's topology, not on the default one.
   */
  topology: 'CELL_TOPOLOGY',
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The environment a handler reads (`process.env`). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The variable's value; a {@link ConfigError} naming it when unset or empty. */
export function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

/** The variable's value parsed as JSON; a {@link ConfigError} naming it when unset or not JSON. */
export function requiredJson(env: Env, name: string): unknown {
  const text = required(env, name);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`environment variable ${name} is not JSON: ${(error as Error).message}`);
  }
}

/** An object, not an array or null: the shape JSON-valued variables must have. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
