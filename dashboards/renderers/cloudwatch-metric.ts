import type { AlarmRule } from '../../cells/alarm-rules.js';
import type { CellTopology, StageName, StageTopology } from '../../cells/topology.js';
import { METRIC_NAMES, METRIC_SERVICES, METRICS_NAMESPACE } from '../../consumers/monitoring/metric-names.js';
import {
  MONITOR_METRIC_NAMES,
  MONITOR_METRIC_SERVICE,
  MONITOR_METRICS_NAMESPACE,
} from '../../consumers/monitoring/monitor-metrics.js';
import type { QueueQuery, RecordsQuery, TimeBin } from '../panels/panel-types.js';
import { PERCENTILES, TIME_BINS } from '../panels/panel-types.js';
import {
  functionDlqDeliveryFailures,
  ruleDlqDeliveryFailures,
  stuckMonitorDlqDepth,
} from './cloudwatch-dlq-metrics.js';
import {
  type CloudWatchMathSpec,
  type CloudWatchMetricSpec,
  type CloudWatchResource,
  type CloudWatchSignalSpec,
  SQS_METRICS,
} from './cloudwatch-spec.js';
import { UnsupportedQueryError } from './timestream-sql.js';

/**
 * Panels and alarm rules rendered to CloudWatch metrics, as plain data for the CDK to turn into
 * `cloudwatch.Metric` / `MathExpression` objects (this module does not import aws-cdk-lib, so the
 * local cell can load it too).
 *
 * Metrics of the Lambda handlers (EMF) carry fixed dimensions (`service`, `stage`) from
 * consumers/monitoring/metric-names.ts. Metrics of AWS resources need the resource's physical name
 * (QueueName; ApiName + Stage), which only the stack knows: those specs carry a `resource`
 * reference and the CDK completes them, e.g. `consumer.queue.metric(spec.metricName, {...})` for
 * `{ kind: 'stageQueue', stage }`.
 *
 * @example
 * const spec = renderCloudWatchMetric({ source: 'queue', metric: 'dlqDepth' }, stage);
 * // { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum',
 * //   resource: { kind: 'stageDlq', stage: 'posting' }, ... }
 */

export {
  type CloudWatchMathSpec,
  type CloudWatchMetricSpec,
  type CloudWatchResource,
  type CloudWatchSignalSpec,
  SQS_METRICS,
} from './cloudwatch-spec.js';

const DEFAULT_PERIOD_SEC = 300;

function periodOf(bin: TimeBin | undefined): number {
  return bin ? TIME_BINS[bin] / 1000 : DEFAULT_PERIOD_SEC;
}

function stageNameOf(stage: StageTopology | StageName): StageName {
  return typeof stage === 'string' ? stage : stage.name;
}

function sqs(
  metricName: string,
  resource: CloudWatchResource,
  periodSec: number,
  label: string,
): CloudWatchMetricSpec {
  return {
    kind: 'metric',
    namespace: 'AWS/SQS',
    metricName,
    statistic: 'Maximum',
    periodSec,
    dimensions: {},
    resource,
    label,
  };
}

function emf(
  metricName: string,
  service: string,
  stage: StageName,
  statistic: string,
  periodSec: number,
  label: string,
  namespace: string = METRICS_NAMESPACE,
): CloudWatchMetricSpec {
  return {
    kind: 'metric',
    namespace,
    metricName,
    statistic,
    periodSec,
    dimensions: { service, stage },
    label,
  };
}

function findTopologyStage(topology: CellTopology, name: StageName): StageTopology {
  const stage = topology.stages.find((s) => s.name === name);
  if (!stage) throw new UnsupportedQueryError(`stage ${name} is not in the topology`);
  return stage;
}

/** The metric of a `queue` panel for one stage (SQS, EMF or API Gateway). Pure. */
function renderQueueMetric(query: QueueQuery, name: StageName, topology: CellTopology): CloudWatchMetricSpec {
  const period = 60;
  switch (query.metric) {
    case 'queueDepth':
      return sqs(SQS_METRICS.visible, { kind: 'stageQueue', stage: name }, period, `${name} queue depth`);
    case 'inFlight':
      return sqs(SQS_METRICS.notVisible, { kind: 'stageQueue', stage: name }, period, `${name} in flight`);
    case 'oldestMessageAgeSec':
      return sqs(
        SQS_METRICS.oldestAge,
        { kind: 'stageQueue', stage: name },
        period,
        `${name} oldest message`,
      );
    case 'dlqDepth':
      return sqs(SQS_METRICS.visible, { kind: 'stageDlq', stage: name }, period, `${name} DLQ depth`);
    case 'relayFailures':
      return emf(
        METRIC_NAMES.relayFailures,
        METRIC_SERVICES.relay,
        name,
        'Sum',
        period,
        `${name} relay failures`,
      );
    case 'processingFailures':
      return emf(
        METRIC_NAMES.processingFailures,
        METRIC_SERVICES.processor,
        name,
        'Sum',
        period,
        `${name} processing failures`,
      );
    case 'apiErrors': {
      // Per-method metrics (the stage's POST route); the API enables detailed metrics.
      const routePath = findTopologyStage(topology, name).routePath;
      return {
        kind: 'metric',
        namespace: 'AWS/ApiGateway',
        metricName: '5XXError',
        statistic: 'Sum',
        periodSec: period,
        dimensions: { Method: 'POST', Resource: routePath },
        resource: { kind: 'restApi' },
        label: `${name} API 5xx`,
      };
    }
  }
}

/** The metric of a `records` panel that CloudWatch holds (latency, throughput by stage). Pure. */
function renderRecordsMetric(query: RecordsQuery, name: StageName): CloudWatchMetricSpec {
  const periodSec = periodOf(query.timeBin);
  if (query.measure === 'latency') {
    const statistic = query.aggregation === 'avg' ? 'Average' : query.aggregation;
    if (statistic !== 'Average' && !Object.hasOwn(PERCENTILES, statistic)) {
      throw new UnsupportedQueryError(`latency has no CloudWatch statistic for ${query.aggregation}`);
    }
    return emf(
      METRIC_NAMES.ingestToStoreLatency,
      METRIC_SERVICES.processor,
      name,
      statistic,
      periodSec,
      `${name} latency ${query.aggregation}`,
    );
  }
  const onlyStage = query.groupBy.every((g) => g === 'stage');
  const filtered = query.filters?.status !== undefined || query.filters?.cell !== undefined;
  if (
    query.measure === 'events' &&
    query.aggregation === 'count' &&
    onlyStage &&
    !filtered &&
    !query.distinctInvoices
  ) {
    // Includes replays and duplicates, unlike a count of records: a throughput figure.
    return emf(
      METRIC_NAMES.eventsProcessed,
      METRIC_SERVICES.processor,
      name,
      'Sum',
      periodSec,
      `${name} events`,
    );
  }
  throw new UnsupportedQueryError(
    `a ${query.measure} ${query.aggregation} by ${query.groupBy.join(', ') || 'nothing'} is a store query; render it with renderTimestreamSql`,
  );
}

/**
 * The CloudWatch metric of a `queue` panel, or of a `records` panel that CloudWatch holds
 * (latency: `IngestToStoreLatency`; event throughput by stage: `EventsProcessed`), for one stage.
 * Throws {@link UnsupportedQueryError} for a query that only the store can answer (money, groups
 * other than stage, distinct invoices). Pure.
 */
export function renderCloudWatchMetric(
  query: RecordsQuery | QueueQuery,
  stage: StageTopology | StageName,
  topology: CellTopology,
): CloudWatchMetricSpec {
  const name = stageNameOf(stage);
  return query.source === 'queue'
    ? renderQueueMetric(query, name, topology)
    : renderRecordsMetric(query, name);
}

/** p99 ingest-to-store latency of a stage in seconds (the EMF metric is in ms). Pure. */
function latencyP99Seconds(s: StageName, period: number): CloudWatchMathSpec {
  return {
    kind: 'math',
    expression: 'latency / 1000',
    usingMetrics: {
      latency: emf(
        METRIC_NAMES.ingestToStoreLatency,
        METRIC_SERVICES.processor,
        s,
        'p99',
        period,
        `${s} latency p99 (ms)`,
      ),
    },
    periodSec: period,
    label: `${s} latency p99 (s)`,
  };
}

/** Failures / (processed + failures) of a stage, in percent. Pure. */
function errorRatePercent(s: StageName, period: number): CloudWatchMathSpec {
  // FILL: a stage where every message fails has no EventsProcessed datapoint; without FILL the
  // expression would have no value exactly when the error rate is 100%.
  const failures = 'FILL(failures, 0)';
  const processed = 'FILL(processed, 0)';
  return {
    kind: 'math',
    expression: `IF(${processed} + ${failures} > 0, 100 * ${failures} / (${processed} + ${failures}), 0)`,
    usingMetrics: {
      failures: emf(
        METRIC_NAMES.processingFailures,
        METRIC_SERVICES.processor,
        s,
        'Sum',
        period,
        `${s} failures`,
      ),
      processed: emf(
        METRIC_NAMES.eventsProcessed,
        METRIC_SERVICES.processor,
        s,
        'Sum',
        period,
        `${s} processed`,
      ),
    },
    periodSec: period,
    label: `${s} error rate (%)`,
  };
}

/** Messages in every stage's relay DLQ, summed. Pure. */
function relayDlqDepthSum(topology: CellTopology, period: number): CloudWatchMathSpec {
  const usingMetrics: Record<string, CloudWatchMetricSpec> = {};
  for (const s of topology.stages) {
    usingMetrics[`relay${s.order}`] = sqs(
      SQS_METRICS.visible,
      { kind: 'relayDlq', stage: s.name },
      period,
      `${s.name} relay DLQ`,
    );
  }
  return {
    kind: 'math',
    // An idle queue publishes nothing; FILL keeps one idle DLQ from hiding the others.
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    periodSec: period,
    label: 'relay DLQ depth (all stages)',
  };
}

/** The API's 5xx share in percent. Pure. */
function apiErrorRatePercent(period: number): CloudWatchMathSpec {
  return {
    kind: 'math',
    // 5XXError is 0 or 1 per request, so its Average is the 5xx share.
    expression: '100 * errors',
    usingMetrics: {
      errors: {
        kind: 'metric',
        namespace: 'AWS/ApiGateway',
        metricName: '5XXError',
        statistic: 'Average',
        periodSec: period,
        dimensions: {},
        resource: { kind: 'restApi' },
        label: 'API 5xx share',
      },
    },
    periodSec: period,
    label: 'API 5xx rate (%)',
  };
}

/** The stage of a per-stage rule; throws for a rule that lacks one. */
function ruleStage(rule: AlarmRule): StageName {
  if (rule.stage === undefined) {
    throw new UnsupportedQueryError(`rule ${rule.id}: signal ${rule.signal} needs a stage`);
  }
  return rule.stage;
}

/**
 * The CloudWatch metric (or metric math) of an alarm rule, in the rule's unit, over its period.
 * The CDK creates `cloudwatch.Alarm` from it with the rule's comparison, threshold, evaluation
 * periods and missing-data treatment. Pure.
 */
export function renderAlarmMetric(rule: AlarmRule, topology: CellTopology): CloudWatchSignalSpec {
  const period = rule.periodSec;
  switch (rule.signal) {
    case 'latencyP99Sec':
      return latencyP99Seconds(ruleStage(rule), period);
    case 'errorRatePct':
      return errorRatePercent(ruleStage(rule), period);
    case 'queueDepth': {
      const s = ruleStage(rule);
      return sqs(SQS_METRICS.visible, { kind: 'stageQueue', stage: s }, period, `${s} queue depth`);
    }
    case 'oldestMessageAgeSec': {
      const s = ruleStage(rule);
      return sqs(SQS_METRICS.oldestAge, { kind: 'stageQueue', stage: s }, period, `${s} oldest message`);
    }
    case 'dlqDepth': {
      const s = ruleStage(rule);
      return sqs(SQS_METRICS.visible, { kind: 'stageDlq', stage: s }, period, `${s} DLQ depth`);
    }
    case 'subscriberDlqDepth': {
      const s = ruleStage(rule);
      const subscriber = rule.subscriber;
      if (subscriber === undefined) {
        throw new UnsupportedQueryError(`rule ${rule.id}: signal ${rule.signal} needs a subscriber`);
      }
      const resource = { kind: 'subscriberDlq', stage: s, subscriber } as const;
      return sqs(SQS_METRICS.visible, resource, period, `${s}/${subscriber} subscriber DLQ depth`);
    }
    case 'stuckInvoices': {
      const s = ruleStage(rule);
      return emf(
        MONITOR_METRIC_NAMES.stuckInvoices,
        MONITOR_METRIC_SERVICE,
        s,
        'Maximum',
        period,
        `${s} stuck invoices`,
        MONITOR_METRICS_NAMESPACE,
      );
    }
    case 'relayDlqDepth':
      return relayDlqDepthSum(topology, period);
    case 'busDlqDepth':
      return sqs(SQS_METRICS.visible, { kind: 'busDlq' }, period, 'bus DLQ depth');
    case 'apiErrorRatePct':
      return apiErrorRatePercent(period);
    case 'ruleDlqDeliveryFailures':
      return ruleDlqDeliveryFailures(topology, period);
    case 'functionDlqDeliveryFailures':
      return functionDlqDeliveryFailures(topology, period);
    case 'stuckMonitorDlqDepth':
      return stuckMonitorDlqDepth(period);
  }
}
