import { describe, expect, it } from 'vitest';
import { ALARM_RULES, deriveAlarmRules } from '../../../cells/alarm-rules.js';
import { CELL_TOPOLOGY } from '../../../cells/topology.js';
import {
  METRIC_NAMES,
  METRIC_SERVICES,
  METRICS_NAMESPACE,
} from '../../../consumers/monitoring/metric-names.js';
import { DASHBOARDS, findPanel, QUEUE_METRICS } from '../../../dashboards/panels/panels.js';
import {
  renderAlarmMetric,
  renderCloudWatchMetric,
} from '../../../dashboards/renderers/cloudwatch-metric.js';
import { UnsupportedQueryError } from '../../../dashboards/renderers/timestream-sql.js';

const POSTING = CELL_TOPOLOGY.stages[3];
if (!POSTING) throw new Error('the default topology has four stages');

function panelQuery(id: string) {
  const query = findPanel(DASHBOARDS, id)?.query;
  if (query?.source !== 'records' && query?.source !== 'queue') throw new Error(`${id} has no metric query`);
  return query;
}

describe('renderCloudWatchMetric', () => {
  it('renders a latency percentile panel as the processor IngestToStoreLatency metric', () => {
    // Act
    const spec = renderCloudWatchMetric(panelQuery('ops-latency-p95'), POSTING, CELL_TOPOLOGY);

    // Assess
    expect(spec).toMatchObject({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC_NAMES.ingestToStoreLatency,
      statistic: 'p95',
      periodSec: 300,
      dimensions: { service: METRIC_SERVICES.processor, stage: 'posting' },
    });
  });

  it.each([
    ['ops-queue-depth', 'ApproximateNumberOfMessagesVisible', 'stageQueue'],
    ['ops-in-flight', 'ApproximateNumberOfMessagesNotVisible', 'stageQueue'],
    ['ops-oldest-message', 'ApproximateAgeOfOldestMessage', 'stageQueue'],
    ['ops-dlq-depth', 'ApproximateNumberOfMessagesVisible', 'stageDlq'],
  ])('renders %s as AWS/SQS %s of the %s', (id, metricName, kind) => {
    // Act
    const spec = renderCloudWatchMetric(panelQuery(id), POSTING, CELL_TOPOLOGY);

    // Assess
    expect(spec).toMatchObject({
      namespace: 'AWS/SQS',
      metricName,
      statistic: 'Maximum',
      resource: { kind, stage: 'posting' },
    });
  });

  it('renders API errors as the 5XXError of the stage route', () => {
    // Act
    const spec = renderCloudWatchMetric({ source: 'queue', metric: 'apiErrors' }, POSTING, CELL_TOPOLOGY);

    // Assess
    expect(spec).toMatchObject({
      namespace: 'AWS/ApiGateway',
      metricName: '5XXError',
      dimensions: { Method: 'POST', Resource: POSTING.routePath },
      resource: { kind: 'restApi' },
    });
  });

  it('renders every queue metric for every stage', () => {
    // Act
    const specs = CELL_TOPOLOGY.stages.flatMap((stage) =>
      QUEUE_METRICS.map((metric) =>
        renderCloudWatchMetric({ source: 'queue', metric }, stage, CELL_TOPOLOGY),
      ),
    );

    // Assess
    expect(specs).toHaveLength(CELL_TOPOLOGY.stages.length * QUEUE_METRICS.length);
  });

  it('refuses a money panel, which only the store can answer', () => {
    // Act
    const act = () => renderCloudWatchMetric(panelQuery('fin-amount-by-currency'), POSTING, CELL_TOPOLOGY);

    // Assess
    expect(act).toThrow(UnsupportedQueryError);
  });
});

describe('renderAlarmMetric', () => {
  it('renders every rule of the default topology', () => {
    // Act
    const specs = ALARM_RULES.map((rule) => renderAlarmMetric(rule, CELL_TOPOLOGY));

    // Assess
    expect(specs).toHaveLength(ALARM_RULES.length);
    for (const [i, spec] of specs.entries()) expect(spec.periodSec).toBe(ALARM_RULES[i]?.periodSec);
  });

  it('turns latency p99 into seconds, the unit of the rule threshold', () => {
    // Prepare
    const rule = ALARM_RULES.find((r) => r.id === 'posting-latency-p99');
    if (!rule) throw new Error('no posting latency rule');

    // Act
    const spec = renderAlarmMetric(rule, CELL_TOPOLOGY);

    // Assess
    expect(spec).toMatchObject({
      kind: 'math',
      expression: 'latency / 1000',
      usingMetrics: { latency: { metricName: 'IngestToStoreLatency', statistic: 'p99' } },
    });
  });

  it('sums the relay DLQs of every stage for the cell rule', () => {
    // Prepare
    const rule = deriveAlarmRules(CELL_TOPOLOGY).find((r) => r.id === 'relay-dlq-not-empty');
    if (!rule) throw new Error('no relay DLQ rule');

    // Act
    const spec = renderAlarmMetric(rule, CELL_TOPOLOGY);

    // Assess
    expect(spec).toMatchObject({
      kind: 'math',
      expression: 'FILL(relay0, 0) + FILL(relay1, 0) + FILL(relay2, 0) + FILL(relay3, 0)',
    });
    expect(spec.kind === 'math' && spec.usingMetrics.relay3?.resource).toEqual({
      kind: 'relayDlq',
      stage: 'posting',
    });
  });
});
