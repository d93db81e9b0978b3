import { Duration, Fn, Lazy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULT_CELL_ALARM_SETTINGS } from '../cells/alarm-rules.js';
import { assertRegionSupported, type CellDefinition, type StoreKind, storeOf } from '../cells/catalog.js';
import type { CellTopology, StageName } from '../cells/topology.js';
import { AuroraMigrations } from './aurora-migrations.js';
import { AuroraStore } from './aurora-store.js';
import { CellAlarms } from './cell-alarms.js';
import { CellDashboard } from './cell-dashboard.js';
import { addCellOutputs } from './cell-stack-outputs.js';
import type { CellMetricResources, StageMetricQueues } from './cloudwatch-signals.js';
import { DeadLetterKey } from './dead-letter-key.js';
import { EventRouting } from './event-routing.js';
import { IngestApi } from './ingest-api.js';
import type { LambdaCodeProvider } from './lambda-code.js';
import { LogsKey } from './logs-key.js';
import { MonthlyReport } from './monthly-report.js';
import { reportRunTime, timestreamReportSpec } from './monthly-report-spec.js';
import { QuickSightAuroraDashboards } from './quicksight-aurora.js';
import { QuickSightDashboards } from './quicksight-dashboards.js';
import { StageConsumer } from './stage-consumer.js';
import { StuckMonitor, type StuckMonitorStore } from './stuck-monitor.js';
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
  /** An Aurora cell's store: its own id, so no logical id is shared with a Timestream store. */
  auroraStore: 'AuroraStore',
  auroraMigrations: 'AuroraMigrations',
} as const;

/**
 * One cell: ingest API → event bus + archive → per stage relay → FIFO topic → FIFO queue + DLQ →
 * processor → the cell's store; alarms routed to alert topics by severity, a CloudWatch dashboard.
 * The store follows the cell's `store` (catalog or `-c store=`):
 *
 * - `timestream` (default): the Timestream database and tables, the rollup scheduled queries, the
 *   scheduled stuck-invoice monitor, the monthly report and (with `quicksight`) the QuickSight
 *   dashboards, which all read Timestream;
 * - `aurora-postgresql`: the Aurora PostgreSQL Serverless v2 cluster (`AuroraStore`) and its
 *   deploy-time migrations (the rollups are tables the processors write in each record's
 *   transaction), the stuck monitor (on `invoice_state`) and the monthly report (on the rollups),
 *   both through the Data API, and (with `quicksight`) the same QuickSight dashboards over a VPC
 *   connection.
 *
 * Only wires the constructs and publishes the outputs the ops CLI reads (ids in `cell-outputs.ts`);
 * every stage comes from the topology.
 *
 * @example
 * new CellStack(app, `InvoiceCell-${cell.name}`, {
 *   env: { account: cell.account, region: cell.region },
 *   cell, topology: buildTopology(cell.overrides), lambdaCode: bundledLambdaCode(),
 * });
 */
export class CellStack extends Stack {
  readonly cell: CellDefinition;
  /** The cell's store kind (`storeOf(cell)`). */
  readonly storeKind: StoreKind;
  /** The store the processors write: Timestream, or Aurora PostgreSQL. */
  readonly store: TimeseriesStore | AuroraStore;
  readonly consumers: readonly StageConsumer[];
  readonly routing: EventRouting;
  readonly api: IngestApi;
  readonly alarms: CellAlarms;
  /** Timestream cells: the Timestream store (also `store`). */
  readonly timestream?: TimeseriesStore;
  /** Aurora cells: the cluster (also `store`) and its deploy-time migrations. */
  readonly aurora?: AuroraStore;
  readonly auroraMigrations?: AuroraMigrations;
  /** The scheduled stuck-invoice check (Timestream's stuck-state rollup, or Aurora's `invoice_state`). */
  readonly stuckMonitor?: StuckMonitor;
  /** The scheduled monthly report (issue 13): Timestream latest state or Aurora rollups → S3 reports, SNS notice. */
  readonly monthlyReport?: MonthlyReport;
  /** Timestream cells: the panel-derived rollups as Timestream scheduled queries. */
  readonly rollups?: TimestreamRollups;
  readonly dashboard: CellDashboard;
  readonly quicksight: boolean;
  /** With `quicksight`: the dashboards on the cell's store (Timestream, or Aurora through a VPC connection). */
  readonly quicksightDashboards?: QuickSightDashboards | QuickSightAuroraDashboards;

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
    // The region check follows the store: Timestream's region list applies to Timestream cells only.
    assertRegionSupported(cell);
    if (this.region !== cell.region) {
      throw new Error(
        `cell stack ${id}: env.region must be the cell region ${cell.region}, got ${this.region}`,
      );
    }
    this.cell = cell;
    this.storeKind = storeOf(cell);
    this.quicksight = quicksight ?? false;
    const logRetention: CellLogRetention = retention ? { logRetention: retention } : {};
    Tags.of(this).add('invoice-cell', cell.name);

    const logsKey = new LogsKey(this, CELL_CONSTRUCT_IDS.logsKey).key;
    const dlqKey = new DeadLetterKey(this, CELL_CONSTRUCT_IDS.dlqKey).key;

    const store = this.addStore(topology, lambdaCode, logsKey, logRetention);
    this.timestream = store.timestream;
    this.aurora = store.aurora;
    this.auroraMigrations = store.migrations;
    this.store = store.store;
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
    const readerAlarms: cloudwatch.IAlarm[] = [];
    if (this.timestream) {
      const readers = this.addTimestreamReaders(
        this.timestream,
        topology,
        lambdaCode,
        { logsKey, dlqKey },
        logRetention,
      );
      this.rollups = readers.rollups;
      this.stuckMonitor = readers.stuckMonitor;
      this.monthlyReport = readers.monthlyReport;
      readerAlarms.push(readers.rollups.failedRunsAlarm, readers.monthlyReport.failedAlarm);
    }
    if (this.aurora) {
      const readers = this.addAuroraReaders(
        this.aurora,
        topology,
        lambdaCode,
        { logsKey, dlqKey },
        logRetention,
      );
      this.stuckMonitor = readers.stuckMonitor;
      this.monthlyReport = readers.monthlyReport;
      readerAlarms.push(readers.monthlyReport.failedAlarm);
    }
    this.dashboard = new CellDashboard(this, CELL_CONSTRUCT_IDS.dashboard, {
      topology,
      resources,
      alarms: [...this.alarms.allAlarms, ...readerAlarms],
      rules: this.alarms.rules,
      title: `Invoice cell ${cell.name} (${cell.region})`,
    });
    this.quicksightDashboards = this.addQuickSight(topology, quicksightPrincipals ?? []);
    addCellOutputs(this);
  }

  /**
   * Two AZs as `Fn::GetAZs` tokens, never a context lookup at synth (STYLE: no lookups): the Aurora
   * store's VPC spreads its isolated subnets over them. No other construct of the cell places
   * anything in an AZ.
   */
  override get availabilityZones(): string[] {
    return [0, 1].map((i) => Fn.select(i, Fn.getAzs()));
  }

  /** The cell's store, by its kind: Timestream, or the Aurora cluster and its migrations. */
  private addStore(
    topology: CellTopology,
    lambdaCode: LambdaCodeProvider,
    logsKey: kms.IKey,
    logRetention: CellLogRetention,
  ): {
    store: TimeseriesStore | AuroraStore;
    timestream?: TimeseriesStore;
    aurora?: AuroraStore;
    migrations?: AuroraMigrations;
  } {
    if (this.storeKind === 'aurora-postgresql') {
      const aurora = new AuroraStore(this, CELL_CONSTRUCT_IDS.auroraStore, {
        topology,
        logsKey,
        ...logRetention,
      });
      const migrations = new AuroraMigrations(this, CELL_CONSTRUCT_IDS.auroraMigrations, {
        store: aurora,
        code: lambdaCode.migrations(),
        logsKey,
        ...logRetention,
      });
      return { store: aurora, aurora, migrations };
    }
    const timestream = new TimeseriesStore(this, CELL_CONSTRUCT_IDS.store, { settings: topology.settings });
    return { store: timestream, timestream };
  }

  /** What reads Timestream: the rollup scheduled queries, the stuck monitor, the monthly report. */
  private addTimestreamReaders(
    store: TimeseriesStore,
    topology: CellTopology,
    lambdaCode: LambdaCodeProvider,
    keys: { readonly logsKey: kms.IKey; readonly dlqKey: kms.IKey },
    logRetention: CellLogRetention,
  ): { rollups: TimestreamRollups; stuckMonitor: StuckMonitor; monthlyReport: MonthlyReport } {
    const rollups = new TimestreamRollups(this, CELL_CONSTRUCT_IDS.rollups, {
      topology,
      store,
      alarmTopic: this.alarms.warningTopic,
      alarmNamePrefix: this.alarms.alarmNamePrefix,
      failedRunsKey: keys.dlqKey,
    });
    // The stuck state the rollup queries keep, not the records.
    const stuckMonitor = this.addStuckMonitor(store.latestState, topology, lambdaCode, keys, logRetention);
    const monthlyReport = this.addMonthlyReport(store, rollups, topology, lambdaCode, keys, logRetention);
    return { rollups, stuckMonitor, monthlyReport };
  }

  /** What reads Aurora: the stuck monitor and the monthly report. */
  private addAuroraReaders(
    aurora: AuroraStore,
    topology: CellTopology,
    lambdaCode: LambdaCodeProvider,
    keys: { readonly logsKey: kms.IKey; readonly dlqKey: kms.IKey },
    logRetention: CellLogRetention,
  ): { stuckMonitor: StuckMonitor; monthlyReport: MonthlyReport } {
    // Reads `invoice_state` by its SLA deadline, which the processors keep in the write transaction.
    const stuckMonitor = this.addStuckMonitor(aurora, topology, lambdaCode, keys, logRetention);
    // The monthly report from the PostgreSQL rollups and `invoice_state` (no Timestream spec).
    const monthlyReport = this.addMonthlyReport(aurora, undefined, topology, lambdaCode, keys, logRetention);
    return { stuckMonitor, monthlyReport };
  }

  /** The QuickSight dashboards on the cell's store: the same views, its own source and SQL. */
  private addQuickSight(
    topology: CellTopology,
    principals: readonly string[],
  ): QuickSightDashboards | QuickSightAuroraDashboards | undefined {
    if (!this.quicksight) return undefined;
    const common = { topology, cellName: this.cell.name, principals };
    if (this.aurora) {
      return new QuickSightAuroraDashboards(this, CELL_CONSTRUCT_IDS.quicksight, {
        ...common,
        store: this.aurora,
      });
    }
    if (!this.timestream) throw new Error(`cell stack ${this.cell.name}: no store for QuickSight`);
    return new QuickSightDashboards(this, CELL_CONSTRUCT_IDS.quicksight, {
      ...common,
      store: this.timestream,
    });
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

  /** The scheduled stuck-invoice check on the cell's store, alerting the warning topic. */
  private addStuckMonitor(
    store: StuckMonitorStore,
    topology: CellTopology,
    lambdaCode: LambdaCodeProvider,
    keys: { readonly logsKey: kms.IKey; readonly dlqKey: kms.IKey },
    logRetention: CellLogRetention,
  ): StuckMonitor {
    return new StuckMonitor(this, CELL_CONSTRUCT_IDS.stuckMonitor, {
      topology,
      cellName: this.cell.name,
      store,
      alertTopic: this.alarms.warningTopic,
      alertKey: this.alarms.key,
      code: lambdaCode.stuckMonitor(),
      ...keys,
      ...logRetention,
      // The `<stage>-stuck-invoices` alarms evaluate one period of the metric the monitor publishes.
      period: Duration.seconds(DEFAULT_CELL_ALARM_SETTINGS.stuckCheckPeriodSec),
      // Timestream's memory store, fast to query; Aurora keeps the same look-back, so a cell's check
      // means the same whatever its store: an invoice stuck longer than that drops out of it.
      lookbackHours: topology.settings.memoryRetentionHours,
    });
  }

  /** The monthly report: Timestream's latest-state rows the rollups keep, or the Aurora store. */
  private addMonthlyReport(
    store: TimeseriesStore | AuroraStore,
    rollups: TimestreamRollups | undefined,
    topology: CellTopology,
    lambdaCode: LambdaCodeProvider,
    keys: { readonly logsKey: kms.IKey; readonly dlqKey: kms.IKey },
    logRetention: CellLogRetention,
  ): MonthlyReport {
    return new MonthlyReport(this, CELL_CONSTRUCT_IDS.monthlyReport, {
      topology,
      cellName: this.cell.name,
      // Timestream: the latest-state rows the rollup queries keep, not the records.
      store: store instanceof AuroraStore ? store : store.latestState,
      stageQueues: this.consumers.map((c) => ({ stage: c.stage.name, queue: c.queue, dlq: c.dlq })),
      ...(rollups ? { spec: timestreamReportSpec(topology, rollups.plan) } : {}),
      // After the rollup runs have seen the month's late events (default rollup options).
      runAt: reportRunTime({}),
      code: lambdaCode.monthlyReport(),
      ...keys,
      ...logRetention,
      alarmTopic: this.alarms.warningTopic,
      alarmNamePrefix: this.alarms.alarmNamePrefix,
    });
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
    // are resolved at synthesis. Every cell has one, whatever its store.
    const monitor = () => {
      if (!this.stuckMonitor) throw new Error(`cell stack ${this.cell.name}: no stuck monitor`);
      return this.stuckMonitor;
    };
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
}
