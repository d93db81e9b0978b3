import { DEFAULT_STORE, isStoreKind, STORE_KINDS, type StoreKind } from '../../../cells/catalog.js';
import {
  buildTopology,
  type CellSettings,
  type CellTopology,
  DEFAULT_CELL_SETTINGS,
  isStageName,
  STAGE_SETTINGS,
  type StageName,
  type StageSettings,
} from '../../../cells/topology.js';
import type { StageQueueUrls } from '../aws-report-reconcile.js';
import { parseTimestreamReportSpec, type TimestreamReportSpec } from '../timestream-report-spec.js';

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
   * Every function: its cell's topology as JSON ({@link TopologyEnv}, written by
   * {@link topologyEnvValue}), so a cell whose catalog entry overrides a setting (e.g. `eventSource`)
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

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

function stageFrom(env: Env): StageName {
  const stage = required(env, LAMBDA_ENV.stage);
  if (!isStageName(stage))
    throw new ConfigError(`environment variable ${LAMBDA_ENV.stage}="${stage}" is not a stage`);
  return stage;
}

export interface RelayConfig {
  readonly stage: StageName;
  readonly topicArn: string;
}

export function relayConfigFrom(env: Env): RelayConfig {
  return { stage: stageFrom(env), topicArn: required(env, LAMBDA_ENV.topicArn) };
}

/** Where a Timestream processor writes. */
export interface TimestreamStoreConfig {
  readonly kind: 'timestream';
  readonly database: string;
  readonly table: string;
}

/** Where an Aurora processor (or the migrations) run their statements, through the RDS Data API. */
export interface AuroraStoreConfig {
  readonly kind: 'aurora-postgresql';
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
}

export type ProcessorStoreConfig = TimestreamStoreConfig | AuroraStoreConfig;

export interface ProcessorConfig {
  readonly stage: StageName;
  readonly cellName: string;
  readonly region: string;
  readonly store: ProcessorStoreConfig;
  readonly retryBudgetMs: number;
}

/** An RDS cluster ARN, as `DatabaseCluster.clusterArn` renders it. */
const CLUSTER_ARN = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:[a-z][a-z0-9-]*$/;
/** A Secrets Manager secret ARN. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$/;

/**
 * The Aurora cluster, secret and database from {@link LAMBDA_ENV}, each checked.
 *
 * @example
 * const { resourceArn, secretArn, database } = auroraStoreConfigFrom(process.env);
 */
export function auroraStoreConfigFrom(env: Env): AuroraStoreConfig {
  const resourceArn = required(env, LAMBDA_ENV.auroraClusterArn);
  if (!CLUSTER_ARN.test(resourceArn)) {
    throw new ConfigError(
      `environment variable ${LAMBDA_ENV.auroraClusterArn} must be an RDS cluster ARN, got "${resourceArn}"`,
    );
  }
  const secretArn = required(env, LAMBDA_ENV.auroraSecretArn);
  if (!SECRET_ARN.test(secretArn)) {
    throw new ConfigError(
      `environment variable ${LAMBDA_ENV.auroraSecretArn} must be a Secrets Manager secret ARN, got "${secretArn}"`,
    );
  }
  return {
    kind: 'aurora-postgresql',
    resourceArn,
    secretArn,
    database: required(env, LAMBDA_ENV.auroraDatabase),
  };
}

function storeKindFrom(env: Env): StoreKind {
  const value = env[LAMBDA_ENV.storeKind];
  if (value === undefined || value === '') return DEFAULT_STORE;
  if (!isStoreKind(value)) {
    throw new ConfigError(
      `environment variable ${LAMBDA_ENV.storeKind} must be one of ${STORE_KINDS.join(', ')}, got "${value}"`,
    );
  }
  return value;
}

function processorStoreFrom(env: Env): ProcessorStoreConfig {
  if (storeKindFrom(env) === 'aurora-postgresql') return auroraStoreConfigFrom(env);
  return {
    kind: 'timestream',
    database: required(env, LAMBDA_ENV.database),
    table: required(env, LAMBDA_ENV.table),
  };
}

export function processorConfigFrom(env: Env): ProcessorConfig {
  const budget = Number(env[LAMBDA_ENV.retryBudgetMs] ?? '10000');
  if (!Number.isInteger(budget) || budget < 0) {
    throw new ConfigError(`environment variable ${LAMBDA_ENV.retryBudgetMs} must be a non-negative integer`);
  }
  return {
    stage: stageFrom(env),
    cellName: required(env, LAMBDA_ENV.cellName),
    region: required(env, LAMBDA_ENV.region),
    store: processorStoreFrom(env),
    retryBudgetMs: budget,
  };
}

export interface StuckMonitorConfig {
  readonly cellName: string;
  readonly region: string;
  /**
   * What the monitor reads: the Timestream latest-state table, or the Aurora cluster (its
   * `invoice_state`), by {@link LAMBDA_ENV.storeKind} as for the processors.
   */
  readonly store: ProcessorStoreConfig;
  readonly alertTopicArn: string;
  readonly lookbackHours: number;
}

export function stuckMonitorConfigFrom(env: Env): StuckMonitorConfig {
  const hours = Number(required(env, LAMBDA_ENV.lookbackHours));
  if (!Number.isInteger(hours) || hours < 1) {
    throw new ConfigError(`environment variable ${LAMBDA_ENV.lookbackHours} must be a positive integer`);
  }
  return {
    cellName: required(env, LAMBDA_ENV.cellName),
    region: required(env, LAMBDA_ENV.region),
    store: processorStoreFrom(env),
    alertTopicArn: required(env, LAMBDA_ENV.alertTopicArn),
    lookbackHours: hours,
  };
}

/** The monthly report of a Timestream cell reads the latest-state table the rollup queries keep. */
export interface TimestreamReportStoreConfig {
  readonly kind: 'timestream';
  readonly database: string;
  /** The latest-state table the figures are read from. */
  readonly table: string;
  readonly spec: TimestreamReportSpec;
}

/** Where the monthly report reads its figures: as the processors, by the cell's store kind. */
export type MonthlyReportStoreConfig = TimestreamReportStoreConfig | AuroraStoreConfig;

export interface MonthlyReportConfig {
  readonly cellName: string;
  readonly region: string;
  /** The IANA zone of the calendar months (the Timestream spec's, else the topology's). */
  readonly timeZone: string;
  readonly store: MonthlyReportStoreConfig;
  readonly bucket: string;
  readonly keyArn: string;
  readonly topicArn: string;
  /** Every stage's queue and DLQ (the reconciliation's depths), by stage. */
  readonly stageQueues: ReadonlyMap<StageName, StageQueueUrls>;
}

/** An SQS queue URL: `https://` and a host, as `Queue.queueUrl` renders it. */
const QUEUE_URL = /^https:\/\/[^\s/]+\/\S+$/;

/** {@link LAMBDA_ENV.reportStageQueues}, checked: known stages, each with both URLs. */
function stageQueuesFrom(env: Env): Map<StageName, StageQueueUrls> {
  const name = LAMBDA_ENV.reportStageQueues;
  let parsed: unknown;
  try {
    parsed = JSON.parse(required(env, name));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`environment variable ${name} is not JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed) || Object.keys(parsed).length === 0) {
    throw new ConfigError(
      `environment variable ${name} must be a JSON object of stages, got ${JSON.stringify(parsed)}`,
    );
  }
  const out = new Map<StageName, StageQueueUrls>();
  for (const [stage, value] of Object.entries(parsed)) {
    if (!isStageName(stage)) throw new ConfigError(`environment variable ${name}: "${stage}" is not a stage`);
    const urls = isPlainObject(value) ? value : {};
    for (const key of ['queueUrl', 'dlqUrl']) {
      const url = urls[key];
      if (typeof url !== 'string' || !QUEUE_URL.test(url)) {
        throw new ConfigError(
          `environment variable ${name}: stage ${stage} ${key} must be an https:// queue URL, got ${JSON.stringify(url)}`,
        );
      }
    }
    out.set(stage, { queueUrl: urls.queueUrl as string, dlqUrl: urls.dlqUrl as string });
  }
  return out;
}

/**
 * Throws a {@link ConfigError} unless {@link LAMBDA_ENV.reportStageQueues} names every stage of the
 * topology (the reconciliation reads every stage's queues).
 *
 * @example
 * checkStageQueues(config.stageQueues, cellTopologyFrom(process.env));
 */
export function checkStageQueues(
  queues: ReadonlyMap<StageName, StageQueueUrls>,
  topology: CellTopology,
): void {
  for (const stage of topology.stages) {
    if (!queues.has(stage.name)) {
      throw new ConfigError(
        `environment variable ${LAMBDA_ENV.reportStageQueues} has no queues for stage ${stage.name}`,
      );
    }
  }
}

function timestreamReportStoreFrom(env: Env): TimestreamReportStoreConfig {
  let spec: TimestreamReportSpec;
  try {
    spec = parseTimestreamReportSpec(
      required(env, LAMBDA_ENV.reportSpec),
      `environment variable ${LAMBDA_ENV.reportSpec}`,
    );
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError((error as Error).message);
  }
  return {
    kind: 'timestream',
    database: required(env, LAMBDA_ENV.database),
    table: required(env, LAMBDA_ENV.table),
    spec,
  };
}

/**
 * The report job's configuration. Its store follows {@link LAMBDA_ENV.storeKind} as the
 * processor's does: Timestream (the latest-state table and the report spec, whose zone is the
 * months'), or Aurora PostgreSQL (cluster, secret, database; the months' zone is the topology's).
 *
 * @example
 * const config = monthlyReportConfigFrom(process.env); // config.store.kind === 'aurora-postgresql'
 */
export function monthlyReportConfigFrom(env: Env): MonthlyReportConfig {
  const store: MonthlyReportStoreConfig =
    storeKindFrom(env) === 'aurora-postgresql' ? auroraStoreConfigFrom(env) : timestreamReportStoreFrom(env);
  return {
    cellName: required(env, LAMBDA_ENV.cellName),
    region: required(env, LAMBDA_ENV.region),
    timeZone: store.kind === 'timestream' ? store.spec.timeZone : cellTopologyFrom(env).settings.timeZone,
    store,
    bucket: required(env, LAMBDA_ENV.reportBucket),
    keyArn: required(env, LAMBDA_ENV.reportKeyArn),
    topicArn: required(env, LAMBDA_ENV.reportTopicArn),
    stageQueues: stageQueuesFrom(env),
  };
}

/**
 * What of a cell's resolved topology crosses to its Lambdas: the cell settings (defaults and catalog
 * overrides merged) and the stage list, from which {@link cellTopologyFrom} rebuilds the topology
 * with `buildTopology`. Subscribers stay behind: no function reads them, and their filter policies
 * could outgrow the environment.
 */
export interface TopologyEnv {
  readonly settings: CellSettings;
  readonly stages: readonly StageName[];
}

/**
 * Lambda allows 4 KB for all environment variables of a function together
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html, "Environment
 * variables"). The topology takes about 0.5 KB today; capping it at half the quota leaves the other
 * variables (ARNs, names) room, and a topology that grows past it fails at synth, not at deploy.
 */
export const MAX_TOPOLOGY_ENV_BYTES = 2_048;

/**
 * The value of {@link LAMBDA_ENV.topology} for a cell's functions; throws when it would take more
 * than {@link MAX_TOPOLOGY_ENV_BYTES}. Pure.
 *
 * @example
 * environment: { [LAMBDA_ENV.topology]: topologyEnvValue(topology) }
 */
export function topologyEnvValue(topology: CellTopology): string {
  const spec: TopologyEnv = { settings: topology.settings, stages: topology.stages.map((s) => s.name) };
  const value = JSON.stringify(spec);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_TOPOLOGY_ENV_BYTES) {
    throw new Error(
      `the ${LAMBDA_ENV.topology} environment variable would take ${bytes} bytes, more than ${MAX_TOPOLOGY_ENV_BYTES}`,
    );
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every setting present with the default's JSON type, and nothing else. */
function settingsFrom(value: unknown): CellSettings {
  const name = LAMBDA_ENV.topology;
  if (!isPlainObject(value))
    throw new ConfigError(`environment variable ${name}: settings must be an object`);
  const expected = DEFAULT_CELL_SETTINGS as unknown as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (!(key in expected)) throw new ConfigError(`environment variable ${name}: unknown setting ${key}`);
  }
  for (const [key, fallback] of Object.entries(expected)) {
    const actual = value[key];
    const valid =
      typeof actual === typeof fallback && (typeof actual !== 'number' || Number.isFinite(actual));
    if (!valid) {
      throw new ConfigError(
        `environment variable ${name}: setting ${key} must be a ${typeof fallback}, got ${JSON.stringify(actual)}`,
      );
    }
  }
  return value as unknown as CellSettings;
}

/** The settings of the named stages, in the order given; each known and named once. */
function stagesFrom(value: unknown): StageSettings[] {
  const name = LAMBDA_ENV.topology;
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(`environment variable ${name}: stages must be a non-empty array of stage names`);
  }
  return value.map((stage: unknown, i) => {
    const settings = STAGE_SETTINGS.find((s) => s.name === stage);
    if (!settings) {
      throw new ConfigError(`environment variable ${name}: ${JSON.stringify(stage)} is not a stage`);
    }
    if (value.indexOf(stage) !== i)
      throw new ConfigError(`environment variable ${name}: stage ${stage} is listed twice`);
    return settings;
  });
}

/**
 * The cell's topology from {@link LAMBDA_ENV.topology}: parsed, checked and rebuilt with
 * `buildTopology`, so the function derives stages, detail-types and SLAs exactly as the stack did.
 * Throws a {@link ConfigError} naming the variable and the problem.
 *
 * @example
 * const topology = cellTopologyFrom(process.env);
 */
export function cellTopologyFrom(env: Env): CellTopology {
  const name = LAMBDA_ENV.topology;
  let parsed: unknown;
  try {
    parsed = JSON.parse(required(env, name));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`environment variable ${name} is not JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(`environment variable ${name} must be a JSON object`);
  const settings = settingsFrom(parsed.settings);
  const stages = stagesFrom(parsed.stages);
  try {
    // No declared subscribers: the functions do not read them (see TopologyEnv).
    return buildTopology(settings, stages, {});
  } catch (error) {
    throw new ConfigError(`environment variable ${name}: ${(error as Error).message}`);
  }
}
