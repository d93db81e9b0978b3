import { DEFAULT_STORE, isStoreKind, STORE_KINDS, type StoreKind } from '../../../cells/catalog.js';
import { type CellTopology, isStageName, type StageName } from '../../../cells/topology.js';
import type { StageQueueUrls } from '../aws-report-reconcile.js';
import { parseTimestreamReportSpec, type TimestreamReportSpec } from '../timestream-report-spec.js';
import { ConfigError, type Env, isPlainObject, LAMBDA_ENV, required, requiredJson } from './lambda-env.js';
import { cellTopologyFrom } from './topology-env.js';

/**
 * The configuration each Lambda handler reads once, at module load, from the environment its
 * construct set (`LAMBDA_ENV` in `lambda-env.ts`); the cell topology variable is `topology-env.ts`.
 *
 * @example
 * const config = processorConfigFrom(process.env);
 */

/** The stage a relay or processor serves, checked against the topology's stage names. */
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
  const parsed = requiredJson(env, name);
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
