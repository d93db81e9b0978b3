import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { AlarmRule } from '../cells/alarm-rules.js';
import type { CellTopology } from '../cells/topology.js';
import { buildDashboards, type Dashboard, type Panel } from '../dashboards/panels/panels.js';
import {
  type CloudWatchMetricSpec,
  renderAlarmMetric,
  renderCloudWatchMetric,
  SQS_METRICS,
} from '../dashboards/renderers/cloudwatch-metric.js';
import { UnsupportedQueryError } from '../dashboards/renderers/timestream-sql.js';
import { type CellMetricResources, toCloudWatchMetric } from './cloudwatch-signals.js';

export interface CellDashboardProps {
  readonly topology: CellTopology;
  readonly resources: CellMetricResources;
  /** The cell's alarms (metric alarms and the composite), shown in an alarm status widget. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The alarm rules; the stuck-invoice graph shows the metric their alarms read. */
  readonly rules: readonly AlarmRule[];
  /** The dashboards-as-data; the operations view's CloudWatch panels are rendered. @default buildDashboards(topology) */
  readonly dashboards?: readonly Dashboard[];
  /** Text at the top (cell name, region). */
  readonly title: string;
}

const FULL_WIDTH = 24;
const HALF_WIDTH = 12;
const GRAPH_HEIGHT = 6;

/** The operations panels CloudWatch can draw, each with one series per stage. Pure. */
export function cloudWatchPanels(
  dashboards: readonly Dashboard[],
  topology: CellTopology,
): { panel: Panel; specs: CloudWatchMetricSpec[] }[] {
  const operations = dashboards.find((d) => d.id === 'operations');
  if (!operations) throw new Error('cell dashboard: the dashboards have no operations view');
  return operations.panels.flatMap((panel) => {
    const { query } = panel;
    if (query.source !== 'queue' && query.source !== 'records') return [];
    try {
      return [
        { panel, specs: topology.stages.map((stage) => renderCloudWatchMetric(query, stage, topology)) },
      ];
    } catch (error) {
      // Store queries (money, groups other than stage) belong to QuickSight and the local dashboard.
      if (error instanceof UnsupportedQueryError) return [];
      throw error;
    }
  });
}

/** API Gateway metrics of the whole API (all routes), `resource` completed by the stack. */
function apiMetric(metricName: string, statistic: string, label: string): CloudWatchMetricSpec {
  return {
    kind: 'metric',
    namespace: 'AWS/ApiGateway',
    metricName,
    statistic,
    periodSec: 60,
    dimensions: {},
    resource: { kind: 'restApi' },
    label,
  };
}

function sqsMetric(resource: CloudWatchMetricSpec['resource'], label: string): CloudWatchMetricSpec {
  return {
    kind: 'metric',
    namespace: 'AWS/SQS',
    metricName: SQS_METRICS.visible,
    statistic: 'Maximum',
    periodSec: 60,
    dimensions: {},
    ...(resource ? { resource } : {}),
    label,
  };
}

/**
 * One CloudWatch dashboard per cell: alarm states first, then the operations panels CloudWatch
 * holds (per-stage throughput, latency percentiles, queue depth, in flight, oldest message age, DLQ
 * depth, processing and relay failures, API 5xx by route), rendered from the same panel
 * definitions as QuickSight and the local dashboard, then the API as a whole (requests, 4xx, 5xx,
 * latency), the relay and bus DLQs, and the stuck-invoice count the monitor publishes.
 *
 * @example
 * new CellDashboard(this, 'Dashboard', { topology, resources, alarms: alarms.allAlarms, rules: alarms.rules, title });
 */
export class CellDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: CellDashboardProps) {
    super(scope, id);
    const { topology, resources } = props;
    const metric = (spec: CloudWatchMetricSpec) => toCloudWatchMetric(spec, resources);
    const graph = (title: string, left: cloudwatch.IMetric[], width = HALF_WIDTH) =>
      new cloudwatch.GraphWidget({
        title,
        left,
        width,
        height: GRAPH_HEIGHT,
        legendPosition: cloudwatch.LegendPosition.BOTTOM,
      });

    const header: cloudwatch.IWidget[] = [
      new cloudwatch.TextWidget({ markdown: `# ${props.title}`, width: FULL_WIDTH, height: 1 }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...props.alarms],
        width: FULL_WIDTH,
        height: 4,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    ];

    const panels = cloudWatchPanels(props.dashboards ?? buildDashboards(topology), topology).map(
      ({ panel, specs }) => graph(`${panel.title} (${panel.unit})`, specs.map(metric)),
    );

    const stuckSpecs = props.rules
      .filter((r) => r.signal === 'stuckInvoices')
      .map((r) => renderAlarmMetric(r, topology))
      .filter((s): s is CloudWatchMetricSpec => s.kind === 'metric');

    const cellWide: cloudwatch.IWidget[] = [
      graph('API requests and errors (count)', [
        metric(apiMetric('Count', 'Sum', 'requests')),
        metric(apiMetric('4XXError', 'Sum', '4xx')),
        metric(apiMetric('5XXError', 'Sum', '5xx')),
      ]),
      graph('API latency (ms)', [
        metric(apiMetric('Latency', 'p50', 'latency p50')),
        metric(apiMetric('Latency', 'p99', 'latency p99')),
        metric(apiMetric('IntegrationLatency', 'p99', 'PutEvents p99')),
      ]),
      graph('Relay and bus DLQ depth (count)', [
        ...topology.stages.map((s) =>
          metric(sqsMetric({ kind: 'relayDlq', stage: s.name }, `${s.name} relay DLQ`)),
        ),
        metric(sqsMetric({ kind: 'busDlq' }, 'bus DLQ')),
      ]),
      graph('Stuck invoices past SLA (count, from the stuck monitor)', stuckSpecs.map(metric)),
    ];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [header, [...panels, ...cellWide]],
    });
  }
}
