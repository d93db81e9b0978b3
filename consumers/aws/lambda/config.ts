import { isStageName, type StageName } from '../../../cells/topology.js';

/**
 * The environment contract between the CellStack (which sets these variables) and the Lambda
 * handlers (which read them once, at module load, through the parse functions below). Nothing
 * else in the code reads `process.env`.
 *
 * @example
 * // in a construct
 * environment: { [LAMBDA_ENV.stage]: stage.name, [LAMBDA_ENV.topicArn]: topic.topicArn }
 */
export const LAMBDA_ENV = {
  stage: 'STAGE',
  cellName: 'CELL_NAME',
  topicArn: 'TOPIC_ARN',
  database: 'TIMESTREAM_DATABASE',
  table: 'TIMESTREAM_TABLE',
  retryBudgetMs: 'STORE_RETRY_BUDGET_MS',
  region: 'AWS_REGION',
  /** Stuck-invoice monitor: the SNS topic its alerts go to (the cell's warning topic). */
  alertTopicArn: 'ALERT_TOPIC_ARN',
  /** Stuck-invoice monitor: how far back it looks for unfinished invoices, in hours. */
  lookbackHours: 'STUCK_LOOKBACK_HOURS',
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

export interface ProcessorConfig {
  readonly stage: StageName;
  readonly cellName: string;
  readonly region: string;
  readonly database: string;
  readonly table: string;
  readonly retryBudgetMs: number;
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
    database: required(env, LAMBDA_ENV.database),
    table: required(env, LAMBDA_ENV.table),
    retryBudgetMs: budget,
  };
}

export interface StuckMonitorConfig {
  readonly cellName: string;
  readonly region: string;
  readonly database: string;
  readonly table: string;
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
    database: required(env, LAMBDA_ENV.database),
    table: required(env, LAMBDA_ENV.table),
    alertTopicArn: required(env, LAMBDA_ENV.alertTopicArn),
    lookbackHours: hours,
  };
}
