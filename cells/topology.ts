import { BUSINESS_TIME_DEFAULTS, type BusinessTimeSettings, validateBusinessTime } from './business-time.js';
import {
  deriveSubscribers,
  type StageSubscriberSettings,
  type StageSubscriberTopology,
} from './subscribers.js';

// Re-exported so renderers (stacks/stage-subscriber.ts) keep reading every topology type from here.
export type { StageSubscriberSettings, StageSubscriberTopology } from './subscribers.js';

/**
 * The one description of a cell. Every stage and everything derived from it (route, detail-type,
 * relay, topic, queue, DLQ, processor, receive limits, visibility timeout, SLA, alarm thresholds)
 * lives here; the CDK `CellStack` and the local cell both render it and neither names a stage.
 *
 * Adding a fifth stage is one entry in {@link STAGE_SETTINGS} plus `schemas/<stage>.schema.json`.
 *
 * @example
 * import { CELL_TOPOLOGY } from './topology.js';
 * for (const stage of CELL_TOPOLOGY.stages) console.log(stage.routePath, stage.detailType);
 */

/**
 * Per-stage settings that are chosen, not derived. Order is the invoice lifecycle.
 * `terminalStatuses`: statuses (from the stage's schema enum) after which the invoice does not go on
 * to the next stage; such an invoice is finished, not a stuck business event.
 */
export const STAGE_SETTINGS = [
  {
    name: 'ingestion',
    slaSec: 15 * 60,
    maxReceiveCount: 5,
    maxConcurrency: 50,
    terminalStatuses: ['REJECTED'],
  },
  { name: 'reconciliation', slaSec: 60 * 60, maxReceiveCount: 5, maxConcurrency: 50, terminalStatuses: [] },
  {
    name: 'authorization',
    slaSec: 4 * 60 * 60,
    maxReceiveCount: 5,
    maxConcurrency: 50,
    terminalStatuses: ['REJECTED'],
  },
  { name: 'posting', slaSec: 24 * 60 * 60, maxReceiveCount: 5, maxConcurrency: 50, terminalStatuses: [] },
] as const;

export type StageName = (typeof STAGE_SETTINGS)[number]['name'];

/** The chosen settings of one stage (one entry of {@link STAGE_SETTINGS}). */
export type StageSettings = (typeof STAGE_SETTINGS)[number];

/** Subscribers declared per stage; stages not named have none. */
export type StageSubscribers = Partial<Record<StageName, readonly StageSubscriberSettings[]>>;

/**
 * The extra subscribers of the default topology. Empty: a cell renders no subscriber resources
 * until one is declared here (or passed to {@link buildTopology}).
 */
export const STAGE_SUBSCRIBERS: StageSubscribers = {};

/** Stage names in lifecycle order. */
export const STAGE_NAMES: readonly StageName[] = STAGE_SETTINGS.map((s) => s.name);

/** Thresholds the alarms of one stage fire on (AWS: CloudWatch alarms; local: in-process rules). */
export interface StageAlarmThresholds {
  /** Visible messages in the stage queue. */
  readonly queueDepth: number;
  /** Age of the oldest message in the stage queue. */
  readonly oldestMessageAgeSec: number;
  /** Share of processed records that failed, in percent, over one evaluation period. */
  readonly errorRatePct: number;
  /** p99 ingest-to-store latency; the product promise is "visible within 2 minutes". */
  readonly latencyP99Sec: number;
  /** Messages in the stage DLQ; anything above zero is an incident. */
  readonly dlqDepth: number;
}

export interface StageTopology {
  readonly name: StageName;
  /** 0-based position in the lifecycle; the next stage is `stages[order + 1]`. */
  readonly order: number;
  /** Capitalised name for construct ids and titles, e.g. `Reconciliation`. */
  readonly title: string;
  /** API route, `POST /invoices/{stage}`. */
  readonly routePath: string;
  /** EventBridge detail-type of this stage's events. */
  readonly detailType: string;
  /** Construct ids (logical names, never physical names). */
  readonly ids: {
    readonly rule: string;
    readonly relay: string;
    readonly topic: string;
    readonly queue: string;
    readonly dlq: string;
    readonly processor: string;
    readonly consumer: string;
  };
  /** Receives before a message moves to the DLQ (SQS redrive policy `maxReceiveCount`). */
  readonly maxReceiveCount: number;
  /** Queue visibility timeout; 6x the processor timeout, as AWS recommends for Lambda sources. */
  readonly visibilityTimeoutSec: number;
  /** Processor Lambda timeout; also the local poller's per-batch deadline. */
  readonly processorTimeoutSec: number;
  /** Maximum concurrent processor invocations (Lambda SQS event source `maximumConcurrency`, ≥ 2). */
  readonly maxConcurrency: number;
  /** Records per processor invocation; FIFO event sources allow at most 10. */
  readonly batchSize: number;
  /** Time an invoice may stay at this stage before it is a stuck business event (0 = last stage). */
  readonly slaSec: number;
  /** Statuses that end the invoice's lifecycle at this stage (e.g. REJECTED): never stuck. */
  readonly terminalStatuses: readonly string[];
  readonly alarms: StageAlarmThresholds;
  /** Extra subscribers of the stage topic (filtered queues for downstream teams); usually none. */
  readonly subscribers: readonly StageSubscriberTopology[];
}

/** Cell-wide settings; catalog entries may override them per cell. The business-time window's are in business-time.ts. */
export interface CellSettings extends BusinessTimeSettings {
  /** EventBridge `source` of every invoice event put by the API. */
  readonly eventSource: string;
  /** Archive retention; auditors replay from here. */
  readonly archiveRetentionDays: number;
  /** SNS/SQS FIFO deduplication window (fixed by AWS at 5 minutes). */
  readonly dedupWindowSec: number;
  /** Steady API rate per cell, requests/s. 60,000 events/min = 1,000 events/s. */
  readonly apiRateLimitRps: number;
  /** API burst, requests. */
  readonly apiBurstLimit: number;
  /** Requests per day per producer key in the usage plan quota. */
  readonly apiDailyQuota: number;
  /** WAF rate-based rule: requests per 5 minutes per source IP. */
  readonly wafRateLimitPer5Min: number;
  /** Largest accepted request body. API Gateway's own limit is 10 MB; events are small. */
  readonly maxBodyKiB: number;
  /** Timestream memory-store retention (recent, fast queries). */
  readonly memoryRetentionHours: number;
  /** Timestream magnetic-store retention (history). */
  readonly magneticRetentionDays: number;
  /** Relay Lambda: EventBridge rule target retry policy. */
  readonly relayRetryAttempts: number;
  readonly relayMaxEventAgeSec: number;
  /** Processor: bound on in-invocation retries of transient store errors. */
  readonly storeRetryBudgetMs: number;
  /** Entries per PutEvents request: the API accepts one event or a batch of up to this many. */
  readonly maxEventsPerRequest: number;
  /**
   * The cell's business time zone (IANA name, e.g. `Europe/Paris`): calendar months of the monthly
   * report and the time its schedule runs (EventBridge Scheduler's `ScheduleExpressionTimezone`).
   */
  readonly timeZone: string;
}

export interface CellTopology {
  readonly settings: CellSettings;
  readonly stages: readonly StageTopology[];
}

export const DEFAULT_CELL_SETTINGS: CellSettings = {
  eventSource: 'invoice.platform',
  archiveRetentionDays: 365,
  dedupWindowSec: 300,
  apiRateLimitRps: 1_000,
  apiBurstLimit: 2_000,
  apiDailyQuota: 100_000_000,
  wafRateLimitPer5Min: 600_000,
  maxBodyKiB: 256,
  memoryRetentionHours: 24 * 7,
  magneticRetentionDays: 365 * 7,
  relayRetryAttempts: 185,
  relayMaxEventAgeSec: 24 * 60 * 60,
  storeRetryBudgetMs: 10_000,
  maxEventsPerRequest: 10,
  timeZone: 'UTC',
  ...BUSINESS_TIME_DEFAULTS,
};

const PROCESSOR_TIMEOUT_SEC = 30;

function titleOf(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Derives one stage's topology from its chosen settings (and its declared subscribers). Pure. */
export function deriveStage(
  settings: StageSettings,
  order: number,
  isLast: boolean,
  subscribers: readonly StageSubscriberSettings[] = [],
): StageTopology {
  const title = titleOf(settings.name);
  return {
    name: settings.name,
    order,
    title,
    routePath: `/invoices/${settings.name}`,
    detailType: `invoice.${settings.name}`,
    ids: {
      rule: `${title}Rule`,
      relay: `${title}Relay`,
      topic: `${title}Topic`,
      queue: `${title}Queue`,
      dlq: `${title}Dlq`,
      processor: `${title}Processor`,
      consumer: `${title}Consumer`,
    },
    maxReceiveCount: settings.maxReceiveCount,
    processorTimeoutSec: PROCESSOR_TIMEOUT_SEC,
    visibilityTimeoutSec: PROCESSOR_TIMEOUT_SEC * 6,
    maxConcurrency: settings.maxConcurrency,
    batchSize: 10,
    slaSec: isLast ? 0 : settings.slaSec,
    terminalStatuses: settings.terminalStatuses,
    alarms: {
      queueDepth: 10_000,
      oldestMessageAgeSec: 120,
      errorRatePct: 5,
      latencyP99Sec: 120,
      dlqDepth: 0,
    },
    subscribers: deriveSubscribers({ name: settings.name, title }, subscribers),
  };
}

/**
 * Builds the topology with optional cell-level overrides. `stages` defaults to
 * {@link STAGE_SETTINGS}; tests pass a subset to show that derived things follow the stage list.
 * `subscribers` (default {@link STAGE_SUBSCRIBERS}) declares extra filtered subscribers per stage;
 * an invalid one throws here, naming the stage, the subscriber and the problem. Pure.
 *
 * @example
 * const topology = buildTopology({}, STAGE_SETTINGS, {
 *   ingestion: [{ id: 'eur-only', filterPolicy: { event: { amount: { currency: ['EUR'] } } } }],
 * });
 */
export function buildTopology(
  overrides: Partial<CellSettings> = {},
  stages: readonly StageSettings[] = STAGE_SETTINGS,
  subscribers: StageSubscribers = STAGE_SUBSCRIBERS,
): CellTopology {
  const settings = { ...DEFAULT_CELL_SETTINGS, ...overrides };
  validateSettings(settings);
  if (stages.length === 0) throw new Error('a cell topology needs at least one stage, got 0');
  const names = stages.map((s) => s.name as string);
  for (const name of Object.keys(subscribers)) {
    if (!names.includes(name)) {
      throw new Error(`subscribers declared on unknown stage ${name}; stages are ${names.join(', ')}`);
    }
  }
  const derived = stages.map((s, i) => deriveStage(s, i, i === stages.length - 1, subscribers[s.name] ?? []));
  for (const stage of derived) validateStageTimeouts(stage);
  return { settings, stages: derived };
}

/**
 * Throws unless the stage queue's visibility timeout is at least 6× the processor timeout, as Lambda
 * recommends for SQS sources so a throttled batch can be retried before the message reappears
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). Pure.
 */
export function validateStageTimeouts(stage: StageTopology): void {
  const min = stage.processorTimeoutSec * 6;
  if (!(stage.visibilityTimeoutSec >= min)) {
    throw new Error(
      `stage ${stage.name}: visibilityTimeoutSec must be >= 6 x processorTimeoutSec (${min}), got ${stage.visibilityTimeoutSec}`,
    );
  }
}

function validateSettings(s: CellSettings): void {
  const positive: (keyof CellSettings)[] = [
    'archiveRetentionDays',
    'apiRateLimitRps',
    'apiBurstLimit',
    'memoryRetentionHours',
    'magneticRetentionDays',
    'maxBodyKiB',
  ];
  for (const key of positive) {
    const value = s[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new Error(`cell setting ${key} must be a positive integer, got ${JSON.stringify(value)}`);
    }
  }
  if (s.maxEventsPerRequest < 1 || s.maxEventsPerRequest > 10) {
    throw new Error(
      `cell setting maxEventsPerRequest must be 1..10 (the PutEvents limit), got ${s.maxEventsPerRequest}`,
    );
  }
  if (!isTimeZone(s.timeZone)) {
    throw new Error(
      `cell setting timeZone must be an IANA time zone like UTC or Europe/Paris, got ${JSON.stringify(s.timeZone)}`,
    );
  }
  validateBusinessTime(s);
}

/** Whether `Intl` knows `name` as a time zone (the ICU data Node ships is the IANA database). */
export function isTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || name === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The default cell topology. */
export const CELL_TOPOLOGY: CellTopology = buildTopology();

/** Looks a stage up by name; `undefined` for an unknown stage (the API answers 404). */
export function findStage(topology: CellTopology, name: string): StageTopology | undefined {
  return topology.stages.find((s) => s.name === name);
}

/** The stage after `stage`, or `undefined` for the last one. */
export function nextStage(topology: CellTopology, stage: StageTopology): StageTopology | undefined {
  return topology.stages[stage.order + 1];
}

/** Type guard for stage names coming from outside (URLs, CLI flags). */
export function isStageName(value: string): value is StageName {
  return (STAGE_NAMES as readonly string[]).includes(value);
}

/** A stage rule's EventBridge pattern in its JSON form (what the rule stores; what the matcher reads). */
export interface StageRulePattern {
  readonly source: readonly string[];
  readonly 'detail-type': readonly string[];
}

/**
 * The event pattern of one stage's rule: the cell's event source and the stage's detail-type. The
 * one definition the CDK rule (`stacks/event-routing.ts`) and the local bus both use. Pure.
 *
 * @example
 * stageRulePattern(topology.settings, stage); // { source: ['invoice.platform'], 'detail-type': ['invoice.posting'] }
 */
export function stageRulePattern(settings: CellSettings, stage: StageTopology): StageRulePattern {
  return { source: [settings.eventSource], 'detail-type': [stage.detailType] };
}
