import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { DEFAULT_CELL_ALARM_SETTINGS } from '../cells/alarm-rules.js';
import type { StoreKind } from '../cells/catalog.js';
import type { CellTopology } from '../cells/topology.js';
import { AuroraMigrations } from './aurora-migrations.js';
import { AuroraStore } from './aurora-store.js';
import type { CellAlarms } from './cell-alarms.js';
import { CELL_CONSTRUCT_IDS, type CellLogRetention } from './cell-construct-ids.js';
import type { LambdaCodeProvider } from './lambda-code.js';
import { MonthlyReport } from './monthly-report.js';
import { reportRunTime, timestreamReportSpec } from './monthly-report-spec.js';
import type { StageConsumer } from './stage-consumer.js';
import { StuckMonitor, type StuckMonitorStore } from './stuck-monitor.js';
import { TimeseriesStore } from './timeseries-store.js';
import { TimestreamRollups } from './timestream-rollups.js';

/**
 * The store-dependent parts of a `CellStack`, by the cell's store kind: the store itself
 * ({@link addCellStore}) and what reads it ({@link addStoreReaders}). Plain functions on the stack's
 * scope, not a construct, so every part keeps the construct path (and logical id) it has always
 * had.
 *
 * @example
 * const store = addCellStore(this, { storeKind, topology, lambdaCode, logsKey, logRetention });
 * const readers = addStoreReaders(this, { ...store, cellName, topology, lambdaCode, keys, logRetention, alarms, consumers });
 */

/** The cell's store: Timestream, or the Aurora cluster and its deploy-time migrations. */
export interface CellStore {
  readonly store: TimeseriesStore | AuroraStore;
  readonly timestream?: TimeseriesStore;
  readonly aurora?: AuroraStore;
  readonly migrations?: AuroraMigrations;
}

interface CellCode {
  readonly topology: CellTopology;
  readonly lambdaCode: LambdaCodeProvider;
  readonly logRetention: CellLogRetention;
}

export interface CellStoreProps extends CellCode {
  readonly storeKind: StoreKind;
  readonly logsKey: kms.IKey;
}

/**
 * Adds the store of `storeKind` to the stack.
 *
 * @example
 * addCellStore(stack, { storeKind: 'aurora-postgresql', topology, lambdaCode, logsKey, logRetention: {} }).aurora;
 */
export function addCellStore(scope: Construct, props: CellStoreProps): CellStore {
  const { topology, lambdaCode, logsKey, logRetention } = props;
  if (props.storeKind === 'aurora-postgresql') {
    const aurora = new AuroraStore(scope, CELL_CONSTRUCT_IDS.auroraStore, {
      topology,
      logsKey,
      ...logRetention,
    });
    const migrations = new AuroraMigrations(scope, CELL_CONSTRUCT_IDS.auroraMigrations, {
      store: aurora,
      code: lambdaCode.migrations(),
      logsKey,
      ...logRetention,
    });
    return { store: aurora, aurora, migrations };
  }
  const timestream = new TimeseriesStore(scope, CELL_CONSTRUCT_IDS.store, { settings: topology.settings });
  return { store: timestream, timestream };
}

/** The keys the readers' logs and dead letters are encrypted under. */
export interface ReaderKeys {
  readonly logsKey: kms.IKey;
  readonly dlqKey: kms.IKey;
}

export interface StoreReadersProps extends CellCode {
  readonly timestream?: TimeseriesStore;
  readonly aurora?: AuroraStore;
  readonly cellName: string;
  readonly keys: ReaderKeys;
  /** Their alerts and alarms go to the alarms' warning topic. */
  readonly alarms: CellAlarms;
  /** The report reconciles every stage's queue and DLQ. */
  readonly consumers: readonly StageConsumer[];
}

/** What reads the store, and the alarms on those readers' own failures. */
export interface StoreReaders {
  /** Timestream cells: the panel-derived rollups as scheduled queries (Aurora's are tables). */
  readonly rollups?: TimestreamRollups;
  readonly stuckMonitor: StuckMonitor;
  readonly monthlyReport: MonthlyReport;
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/**
 * Adds what reads the store: on Timestream the rollup scheduled queries, the stuck monitor (on
 * the stuck state the rollups keep) and the monthly report (on their latest-state rows); on Aurora
 * the stuck monitor (on `invoice_state`, kept in the write transaction) and the monthly report (on
 * the rollup tables).
 *
 * @example
 * addStoreReaders(stack, { timestream, cellName, topology, lambdaCode, keys, logRetention: {}, alarms, consumers });
 */
export function addStoreReaders(scope: Construct, props: StoreReadersProps): StoreReaders {
  const { timestream, aurora } = props;
  if (timestream) {
    const rollups = new TimestreamRollups(scope, CELL_CONSTRUCT_IDS.rollups, {
      topology: props.topology,
      store: timestream,
      alarmTopic: props.alarms.warningTopic,
      alarmNamePrefix: props.alarms.alarmNamePrefix,
      failedRunsKey: props.keys.dlqKey,
    });
    const stuckMonitor = addStuckMonitor(scope, timestream.latestState, props);
    const monthlyReport = addMonthlyReport(scope, timestream, rollups, props);
    return {
      rollups,
      stuckMonitor,
      monthlyReport,
      alarms: [rollups.failedRunsAlarm, monthlyReport.failedAlarm],
    };
  }
  if (!aurora) throw new Error(`cell ${props.cellName}: no store to read`);
  const stuckMonitor = addStuckMonitor(scope, aurora, props);
  const monthlyReport = addMonthlyReport(scope, aurora, undefined, props);
  return { stuckMonitor, monthlyReport, alarms: [monthlyReport.failedAlarm] };
}

/** The scheduled stuck-invoice check on the cell's store, alerting the warning topic. */
function addStuckMonitor(scope: Construct, store: StuckMonitorStore, props: StoreReadersProps): StuckMonitor {
  const { topology } = props;
  return new StuckMonitor(scope, CELL_CONSTRUCT_IDS.stuckMonitor, {
    topology,
    cellName: props.cellName,
    store,
    alertTopic: props.alarms.warningTopic,
    alertKey: props.alarms.key,
    code: props.lambdaCode.stuckMonitor(),
    ...props.keys,
    ...props.logRetention,
    // The `<stage>-stuck-invoices` alarms evaluate one period of the metric the monitor publishes.
    period: Duration.seconds(DEFAULT_CELL_ALARM_SETTINGS.stuckCheckPeriodSec),
    // Timestream's memory store, fast to query; Aurora keeps the same look-back, so a cell's check
    // means the same whatever its store: an invoice stuck longer than that drops out of it.
    lookbackHours: topology.settings.memoryRetentionHours,
  });
}

/** The monthly report: Timestream's latest-state rows the rollups keep, or the Aurora store. */
function addMonthlyReport(
  scope: Construct,
  store: TimeseriesStore | AuroraStore,
  rollups: TimestreamRollups | undefined,
  props: StoreReadersProps,
): MonthlyReport {
  const { topology } = props;
  return new MonthlyReport(scope, CELL_CONSTRUCT_IDS.monthlyReport, {
    topology,
    cellName: props.cellName,
    // Timestream: the latest-state rows the rollup queries keep, not the records.
    store: store instanceof AuroraStore ? store : store.latestState,
    stageQueues: props.consumers.map((c) => ({ stage: c.stage.name, queue: c.queue, dlq: c.dlq })),
    ...(rollups ? { spec: timestreamReportSpec(topology, rollups.plan) } : {}),
    // After the rollup runs have seen the month's late events (default rollup options).
    runAt: reportRunTime({}),
    code: props.lambdaCode.monthlyReport(),
    ...props.keys,
    ...props.logRetention,
    alarmTopic: props.alarms.warningTopic,
    alarmNamePrefix: props.alarms.alarmNamePrefix,
  });
}
