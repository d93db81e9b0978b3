import { Fn, Lazy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { assertRegionSupported, type CellDefinition, type StoreKind, storeOf } from '../cells/catalog.js';
import type { CellTopology, StageName } from '../cells/topology.js';
import type { AuroraMigrations } from './aurora-migrations.js';
import type { AuroraStore } from './aurora-store.js';
import { CellAlarms } from './cell-alarms.js';
import { CELL_CONSTRUCT_IDS, type CellLogRetention } from './cell-construct-ids.js';
import { CellDashboard } from './cell-dashboard.js';
import { addCellOutputs } from './cell-stack-outputs.js';
import { addCellStore, addStoreReaders } from './cell-store.js';
import type { CellMetricResources, StageMetricQueues } from './cloudwatch-signals.js';
import { DeadLetterKey } from './dead-letter-key.js';
import { EventRouting } from './event-routing.js';
import { IngestApi } from './ingest-api.js';
import type { LambdaCodeProvider } from './lambda-code.js';
import { LogsKey } from './logs-key.js';
import type { MonthlyReport } from './monthly-report.js';
import { QuickSightAuroraDashboards } from './quicksight-aurora.js';
import { QuickSightDashboards } from './quicksight-dashboards.js';
import { StageConsumer } from './stage-consumer.js';
import type { StuckMonitor } from './stuck-monitor.js';
import type { TimeseriesStore } from './timeseries-store.js';
import type { TimestreamRollups } from './timestream-rollups.js';

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
  readonly stuckMonitor: StuckMonitor;
  /** The scheduled monthly report (issue 13): Timestream latest state or Aurora rollups → S3 reports, SNS notice. */
  readonly monthlyReport: MonthlyReport;
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

    const store = addCellStore(this, {
      storeKind: this.storeKind,
      topology,
      lambdaCode,
      logsKey,
      logRetention,
    });
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
    const readers = addStoreReaders(this, {
      ...store,
      cellName: cell.name,
      topology,
      lambdaCode,
      keys: { logsKey, dlqKey },
      logRetention,
      alarms: this.alarms,
      consumers: this.consumers,
    });
    this.rollups = readers.rollups;
    this.stuckMonitor = readers.stuckMonitor;
    this.monthlyReport = readers.monthlyReport;
    this.dashboard = new CellDashboard(this, CELL_CONSTRUCT_IDS.dashboard, {
      topology,
      resources,
      alarms: [...this.alarms.allAlarms, ...readers.alarms],
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
