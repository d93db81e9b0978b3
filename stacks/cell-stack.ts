import { CfnOutput, Duration, Fn, Lazy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULT_CELL_ALARM_SETTINGS } from '../cells/alarm-rules.js';
import { assertRegionSupported, type CellDefinition } from '../cells/catalog.js';
import type { CellTopology, StageName } from '../cells/topology.js';
import { reportSpecText } from '../consumers/aws/timestream-report-spec.js';
import { CellAlarms } from './cell-alarms.js';
import { CellDashboard } from './cell-dashboard.js';
import { CELL_OUTPUT_IDS, stageOutputIds, subscriberOutputIds } from './cell-outputs.js';
import type { CellMetricResources, StageMetricQueues } from './cloudwatch-signals.js';
import { DeadLetterKey } from './dead-letter-key.js';
import { EventRouting } from './event-routing.js';
import { IngestApi } from './ingest-api.js';
import type { LambdaCodeProvider } from './lambda-code.js';
import { LogsKey } from './logs-key.js';
import { MonthlyReport } from './monthly-report.js';
import { reportRunTime, timestreamReportSpec } from './monthly-report-spec.js';
import { QuickSightDashboards } from './quicksight-dashboards.js';
import { StageConsumer } from './stage-consumer.js';
import { StuckMonitor } from './stuck-monitor.js';
import { TimeseriesStore } from './timeseries-store.js';
import { TimestreamRollups } from './timestream-rollups.js';

export interface CellStackProps extends StackProps {
  readonly cell: CellDefinition;
  /** The cell's topology (`buildTopology(cell.overrides)`); the stack names no stage itself. */
  readonly topology: CellTopology;
  readonly lambdaCode: LambdaCodeProvider;
  /** Adds the QuickSight dashboards (DESIGN §6); the account must subscribe to QuickSight. */
  readonly quicksight?: boolean;
  /** QuickSight users/groups given the dashboards; required when `quicksight` is on. */
  readonly quicksightPrincipals?: readonly string[];
  readonly logRetention?: logs.RetentionDays;
}

/** The log retention every construct of the cell is given, when the stack props set one. */
type CellLogRetention = { readonly logRetention?: logs.RetentionDays };

/** Construct ids of the cell's parts; part of every logical id, so never rename them. */
export const CELL_CONSTRUCT_IDS = {
  logsKey: 'LogsKey',
  dlqKey: 'DlqKey',
  store: 'Store',
  routing: 'Routing',
  api: 'Api',
  alarms: 'Alarms',
  stuckMonitor: 'StuckMonitor',
  monthlyReport: 'MonthlyReport',
  rollups: 'Rollups',
  dashboard: 'Dashboard',
  quicksight: 'QuickSight',
} as const;

/**
 * One cell: ingest API → event bus + archive → per stage relay → FIFO topic → FIFO queue + DLQ →
 * processor → Timestream; alarms routed to alert topics by severity, a scheduled stuck-invoice
 * monitor, a CloudWatch dashboard, and (with `quicksight`) the QuickSight dashboards. Only wires the
 * constructs and publishes the outputs the ops CLI reads (ids in `cell-outputs.ts`); every stage
 * comes from the topology.
 *
 * @example
 * new CellStack(app, `InvoiceCell-${cell.name}`, {
 *   env: { account: cell.account, region: cell.region },
 *   cell, topology: buildTopology(cell.overrides), lambdaCode: bundledLambdaCode(),
 * });
 */
export class CellStack extends Stack {
  readonly cell: CellDefinition;
  readonly store: TimeseriesStore;
  readonly consumers: readonly StageConsumer[];
  readonly routing: EventRouting;
  readonly api: IngestApi;
  readonly alarms: CellAlarms;
  readonly stuckMonitor: StuckMonitor;
  /** The scheduled monthly report (issue 13): Timestream latest state → S3 reports, SNS notice. */
  readonly monthlyReport: MonthlyReport;
  /** The panel-derived rollups as Timestream scheduled queries (read by QuickSight and the stuck monitor). */
  readonly rollups: TimestreamRollups;
  readonly dashboard: CellDashboard;
  readonly quicksight: boolean;
  readonly quicksightDashboards?: QuickSightDashboards;

  constructor(scope: Construct, id: string, props: CellStackProps) {
    const {
      cell,
      topology,
      lambdaCode,
      quicksight,
      quicksightPrincipals,
      logRetention: retention,
      ...stackProps
    } = props;
    super(scope, id, {
      ...stackProps,
      description: stackProps.description ?? `Invoice event monitoring cell ${cell.name} (${cell.region})`,
    });
    assertRegionSupported(cell);
    if (this.region !== cell.region) {
      throw new Error(
        `cell stack ${id}: env.region must be the cell region ${cell.region}, got ${this.region}`,
      );
    }
    this.cell = cell;
    this.quicksight = quicksight ?? false;
    const logRetention: CellLogRetention = retention ? { logRetention: retention } : {};
    Tags.of(this).add('invoice-cell', cell.name);

    const logsKey = new LogsKey(this, CELL_CONSTRUCT_IDS.logsKey).key;
    const dlqKey = new DeadLetterKey(this, CELL_CONSTRUCT_IDS.dlqKey).key;

    this.store = new TimeseriesStore(this, CELL_CONSTRUCT_IDS.store, { settings: topology.settings });
    this.consumers = this.addConsumers(topology, lambdaCode, logsKey, logRetention);
    this.routing = new EventRouting(this, CELL_CONSTRUCT_IDS.routing, {
      topology,
      stages: this.consumers.map((c) => ({ stage: c.stage, topic: c.topic, topicKey: c.topicKey })),
      relayCode: () => lambdaCode.relay(),
      logsKey,
      dlqKey,
      ...logRetention,
    });
    this.api = new IngestApi(this, CELL_CONSTRUCT_IDS.api, {
      topology,
      bus: this.routing.bus,
      logsKey,
      ...logRetention,
    });

    const resources = this.metricResources();
    this.alarms = new CellAlarms(this, CELL_CONSTRUCT_IDS.alarms, { topology, resources });
    this.rollups = new TimestreamRollups(this, CELL_CONSTRUCT_IDS.rollups, {
      topology,
      store: this.store,
      alarmTopic: this.alarms.warningTopic,
      alarmNamePrefix: this.alarms.alarmNamePrefix,
      failedRunsKey: dlqKey,
    });
    this.stuckMonitor = this.addStuckMonitor(topology, lambdaCode, { logsKey, dlqKey }, logRetention);
    this.monthlyReport = new MonthlyReport(this, CELL_CONSTRUCT_IDS.monthlyReport, {
      topology,
      cellName: cell.name,
      // The latest-state rows the rollup queries keep, not the records.
      store: this.store.latestState,
      stageQueues: this.consumers.map((c) => ({ stage: c.stage.name, queue: c.queue, dlq: c.dlq })),
      spec: timestreamReportSpec(topology, this.rollups.plan),
      // After the rollup runs have seen the month's late events (default rollup options).
      runAt: reportRunTime({}),
      code: lambdaCode.monthlyReport(),
      logsKey,
      dlqKey,
      ...logRetention,
      alarmTopic: this.alarms.warningTopic,
      alarmNamePrefix: this.alarms.alarmNamePrefix,
    });
    this.dashboard = new CellDashboard(this, CELL_CONSTRUCT_IDS.dashboard, {
      topology,
      resources,
      alarms: [...this.alarms.allAlarms, this.rollups.failedRunsAlarm, this.monthlyReport.failedAlarm],
      rules: this.alarms.rules,
      title: `Invoice cell ${cell.name} (${cell.region})`,
    });
    if (this.quicksight) {
      this.quicksightDashboards = new QuickSightDashboards(this, CELL_CONSTRUCT_IDS.quicksight, {
        topology,
        store: this.store,
        cellName: cell.name,
        principals: quicksightPrincipals ?? [],
      });
    }
    this.addOutputs();
  }

  /** One consumer per stage of the topology, each writing to the cell store. */
  private addConsumers(
    topology: CellTopology,
    lambdaCode: LambdaCodeProvider,
    logsKey: kms.IKey,
    logRetention: CellLogRetention,
  ): StageConsumer[] {
    return topology.stages.map(
      (stage) =>
        new StageConsumer(this, stage.ids.consumer, {
          stage,
          topology,
          cellName: this.cell.name,
          store: this.store,
          processorCode: lambdaCode.processor(),
          logsKey,
          ...logRetention,
        }),
    );
  }

  /** The scheduled stuck-invoice check, alerting the warning topic. */
  private addStuckMonitor(
    topology: CellTopology,
    lambdaCode: LambdaCodeProvider,
    keys: { readonly logsKey: kms.IKey; readonly dlqKey: kms.IKey },
    logRetention: CellLogRetention,
  ): StuckMonitor {
    return new StuckMonitor(this, CELL_CONSTRUCT_IDS.stuckMonitor, {
      topology,
      cellName: this.cell.name,
      // The stuck state the rollup queries keep, not the records.
      store: this.store.latestState,
      alertTopic: this.alarms.warningTopic,
      alertKey: this.alarms.key,
      code: lambdaCode.stuckMonitor(),
      ...keys,
      ...logRetention,
      // The `<stage>-stuck-invoices` alarms evaluate one period of the metric the monitor publishes.
      period: Duration.seconds(DEFAULT_CELL_ALARM_SETTINGS.stuckCheckPeriodSec),
      // The memory store: fast to query; an invoice stuck longer than that drops out of the check.
      lookbackHours: topology.settings.memoryRetentionHours,
    });
  }

  /** Where the monthly reports are, and what the ops CLI needs to build one on demand. */
  private addMonthlyReportOutputs(out: (id: string, value: string, description: string) => void): void {
    const report = this.monthlyReport;
    out(
      CELL_OUTPUT_IDS.timestreamLatestStateTable,
      this.store.latestState.tableName,
      'Timestream latest-state table (rollup scheduled queries); the monthly report reads it',
    );
    out(
      CELL_OUTPUT_IDS.monthlyReportBucket,
      report.bucket.bucketName,
      'Monthly reports: reports/<YYYY-MM>.html|json|csv',
    );
    out(
      CELL_OUTPUT_IDS.monthlyReportTopicArn,
      report.topic.topicArn,
      'Told when a monthly report is ready (a link, never figures); subscribe people here',
    );
    out(
      CELL_OUTPUT_IDS.monthlyReportFunctionName,
      report.function.fn.functionName,
      'Monthly report function; invoke with {"month": "YYYY-MM"} to build a month again',
    );
    out(
      CELL_OUTPUT_IDS.monthlyReportDlqUrl,
      report.dlq.queueUrl,
      'Monthly report runs that failed or could not be delivered',
    );
    out(
      CELL_OUTPUT_IDS.monthlyReportSpec,
      reportSpecText(report.spec),
      'Latest-state rows each report figure reads (invoice-ops report --cell)',
    );
  }

  /** The queues and API the alarms' and dashboard's metrics are about, by stage. */
  private metricResources(): CellMetricResources {
    const stages = new Map<StageName, StageMetricQueues>();
    for (const consumer of this.consumers) {
      const route = this.routing.routes.find((r) => r.stage.name === consumer.stage.name);
      if (!route) throw new Error(`cell stack: no route for stage ${consumer.stage.name}`);
      stages.set(consumer.stage.name, {
        queue: consumer.queue,
        dlq: consumer.dlq,
        relayDlq: route.relayDlq,
        // From the ARN (`rule/<bus>/<rule>` on a custom bus): `Ref` of a rule on a custom bus is not
        // documented to be the bare rule name the `RuleName` dimension carries.
        relayRuleName: Fn.select(2, Fn.split('/', route.rule.ruleArn)),
        relayFunctionName: route.relay.fn.functionName,
        subscriberDlqs: new Map(consumer.subscribers.map((s) => [s.subscriber.id, s.dlq])),
      });
    }
    // The monitor alerts through the alarms' warning topic, so it is built after them: its names
    // are resolved at synthesis.
    const monitor = () => this.stuckMonitor;
    return {
      stages,
      busDlq: this.routing.busDlq,
      busName: this.routing.bus.eventBusName,
      stuckMonitor: {
        functionName: Lazy.string({ produce: () => monitor().function.fn.functionName }),
        dlqName: Lazy.string({ produce: () => monitor().dlq.queueName }),
      },
      api: { apiName: this.api.api.restApiName, stageName: this.api.api.deploymentStage.stageName },
    };
  }

  private addOutputs(): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out(
      CELL_OUTPUT_IDS.apiUrl,
      this.api.api.url,
      'Invoke URL; POST invoices/{stage} under it (IAM SigV4 + x-api-key)',
    );
    out(
      CELL_OUTPUT_IDS.usagePlanId,
      this.api.usagePlan.usagePlanId,
      'Usage plan producer API keys are attached to',
    );
    out(CELL_OUTPUT_IDS.busName, this.routing.bus.eventBusName, 'Event bus of the cell');
    out(CELL_OUTPUT_IDS.busArn, this.routing.bus.eventBusArn, 'Event bus ARN');
    out(
      CELL_OUTPUT_IDS.busDlqUrl,
      this.routing.busDlq.queueUrl,
      'Events the bus could not encrypt or decrypt',
    );
    out(CELL_OUTPUT_IDS.archiveName, this.routing.archive.archiveName, 'Archive of every accepted event');
    out(
      CELL_OUTPUT_IDS.archiveArn,
      this.routing.archive.archiveArn,
      'Archive ARN (StartReplay EventSourceArn is the bus)',
    );
    out(CELL_OUTPUT_IDS.timestreamDatabase, this.store.databaseName, 'Timestream database');
    out(CELL_OUTPUT_IDS.timestreamTable, this.store.tableName, 'Timestream table');
    out(
      CELL_OUTPUT_IDS.rejectedDataBucket,
      this.store.rejectedDataBucket.bucketName,
      'Timestream rejected-record reports',
    );
    out(
      CELL_OUTPUT_IDS.criticalAlertTopicArn,
      this.alarms.criticalTopic.topicArn,
      'Critical alarms and the cell-unhealthy composite; subscribe on-call here',
    );
    out(
      CELL_OUTPUT_IDS.warningAlertTopicArn,
      this.alarms.warningTopic.topicArn,
      'Warning alarms and stuck-invoice lists',
    );
    out(
      CELL_OUTPUT_IDS.alarmNamePrefix,
      this.alarms.alarmNamePrefix,
      'Every alarm of the cell is named <prefix><rule id>',
    );
    out(
      CELL_OUTPUT_IDS.dashboardName,
      this.dashboard.dashboard.dashboardName,
      'CloudWatch dashboard of the cell',
    );
    out(
      CELL_OUTPUT_IDS.stuckMonitorDlqUrl,
      this.stuckMonitor.dlq.queueUrl,
      'Stuck-monitor runs that failed or could not be delivered',
    );
    this.addMonthlyReportOutputs(out);
    for (const consumer of this.consumers) {
      const ids = stageOutputIds(consumer.stage);
      const route = this.routing.routes.find((r) => r.stage.name === consumer.stage.name);
      if (!route) throw new Error(`cell stack: no route for stage ${consumer.stage.name}`);
      const name = consumer.stage.name;
      out(ids.queueUrl, consumer.queue.queueUrl, `${name} FIFO queue`);
      out(ids.queueArn, consumer.queue.queueArn, `${name} FIFO queue ARN (redrive destination)`);
      out(ids.dlqUrl, consumer.dlq.queueUrl, `${name} FIFO DLQ`);
      out(ids.dlqArn, consumer.dlq.queueArn, `${name} FIFO DLQ ARN (redrive source)`);
      out(ids.topicArn, consumer.topic.topicArn, `${name} FIFO topic`);
      out(ids.relayDlqUrl, route.relayDlq.queueUrl, `${name} relay DLQ (bus events not published)`);
      out(ids.relayDlqArn, route.relayDlq.queueArn, `${name} relay DLQ ARN`);
      for (const sub of consumer.subscribers) {
        const subIds = subscriberOutputIds(consumer.stage, sub.subscriber);
        const what = `${name} subscriber ${sub.subscriber.id}`;
        out(subIds.queueUrl, sub.queue.queueUrl, `${what}: FIFO queue of the filtered stage messages`);
        out(subIds.queueArn, sub.queue.queueArn, `${what}: FIFO queue ARN`);
        out(subIds.dlqUrl, sub.dlq.queueUrl, `${what}: FIFO DLQ`);
      }
    }
  }
}
