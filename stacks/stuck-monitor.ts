import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CellTopology } from '../cells/topology.js';
import { LAMBDA_ENV } from '../consumers/aws/lambda/lambda-env.js';
import { topologyEnvValue } from '../consumers/aws/lambda/topology-env.js';
import { CellFunction } from './cell-function.js';
import { standardDlqProps } from './defaults/queue-defaults.js';
import type { ProcessorStoreTarget } from './processor-store.js';
import { schedulerInvokeRole } from './scheduler-role.js';
import type { TimeseriesQueryTarget } from './timeseries-store.js';

export interface StuckMonitorProps {
  /** The cell's topology (stage order, SLAs, terminal statuses), carried in the function's environment. */
  readonly topology: CellTopology;
  /** Written into the query's `cell` filter and the alert text. */
  readonly cellName: string;
  /**
   * What the monitor reads, and nothing else: on a Timestream cell the latest-state table, whose
   * stuck-state rows the rollup scheduled queries keep (`TimestreamRollups`), not the records; on
   * an Aurora cell the cluster (`AuroraStore`), whose `invoice_state` it reads by its SLA-deadline
   * index through the Data API.
   */
  readonly store: StuckMonitorStore;
  /** Where stuck-invoice alerts go (the cell's warning topic). */
  readonly alertTopic: sns.ITopic;
  /** The alert topic's key (the monitor publishes under it). */
  readonly alertKey: kms.IKey;
  /** Encrypts the monitor's DLQ; not the alert key, whose failure makes runs fail ({@link DeadLetterKey}). */
  readonly dlqKey: kms.IKey;
  readonly code: lambda.Code;
  readonly logsKey: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
  /** How often the check runs; the `<stage>-stuck-invoices` alarms use the same period. */
  readonly period: Duration;
  /** How far back the query looks for unfinished invoices, in hours. */
  readonly lookbackHours: number;
}

/**
 * The store a stuck monitor reads: a Timestream table it may query, or an Aurora cell's store,
 * reached as the processors reach it (its `ProcessorStoreTarget` environment and Data API grant).
 */
export type StuckMonitorStore =
  | TimeseriesQueryTarget
  | (ProcessorStoreTarget & { readonly storeKind: 'aurora-postgresql' });

function isAuroraStore(
  store: StuckMonitorStore,
): store is ProcessorStoreTarget & { readonly storeKind: 'aurora-postgresql' } {
  return 'storeKind' in store && store.storeKind === 'aurora-postgresql';
}

/** The monitor function's store environment, unscoped actions, grant and description. */
function storeAccess(store: StuckMonitorStore): {
  readonly environment: Readonly<Record<string, string>>;
  readonly unscopedActions: readonly string[];
  readonly grant: (grantee: iam.IGrantable) => void;
  readonly reads: string;
} {
  if (isAuroraStore(store)) {
    return {
      environment: store.processorEnvironment,
      unscopedActions: store.unscopedActions,
      // The processors' grant, reused: the Data API has no read-only actions (a statement's rights
      // are the database user's), so the monitor needs exactly what a processor needs, on this
      // cluster and secret only.
      grant: (grantee) => store.grantWrite(grantee),
      reads: 'Aurora invoice_state deadline index',
    };
  }
  return {
    environment: { [LAMBDA_ENV.database]: store.databaseName, [LAMBDA_ENV.table]: store.tableName },
    // Timestream endpoint discovery (granted by `store.grantQuery`).
    unscopedActions: ['timestream:DescribeEndpoints'],
    grant: (grantee) => store.grantQuery(grantee),
    reads: 'Timestream stuck state',
  };
}

/** EventBridge Scheduler limits (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html). */
const SCHEDULER_MIN_EVENT_AGE_SEC = 60;

function validate(props: StuckMonitorProps): void {
  const periodSec = props.period.toSeconds();
  if (!Number.isInteger(periodSec / 60) || periodSec < 120 || periodSec > 3_600) {
    throw new Error(`stuck monitor period must be whole minutes in 2..60, got ${periodSec} s`);
  }
  if (!Number.isInteger(props.lookbackHours) || props.lookbackHours < 1) {
    throw new Error(`stuck monitor lookbackHours must be a positive integer, got ${props.lookbackHours}`);
  }
  if (props.cellName.trim() === '') throw new Error('stuck monitor cellName must not be empty, got ""');
}

/**
 * The business stuck-event check on AWS (DESIGN §4): every `period` EventBridge Scheduler invokes a
 * Lambda that asks the cell's store for invoices past their stage SLA, publishes `StuckInvoices`
 * per stage (the `<stage>-stuck-invoices` alarms read it) and alerts the warning topic with the
 * list. On Timestream it reads the stuck state a scheduled query keeps (per invoice and stage:
 * entry, latest status, SLA deadline; `timestreamStuckStateSql`), a few rows per invoice instead of
 * every record; on Aurora, a range read of `invoice_state` by SLA deadline (`PostgresStuckReader`).
 *
 * Failure handling. Scheduler invokes Lambda asynchronously
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html): Scheduler
 * retries only failed *deliveries* (its retry policy), then dead-letters them; a failed *run* is
 * not retried by Lambda (`retryAttempts: 0`: the next scheduled run is the retry, and a check is
 * stale after one period anyway) and goes to the same DLQ. Both keep at most one period of age.
 * Least privilege: the function may `timestream:Select` the latest-state table (+ endpoint
 * discovery) or, on Aurora, run Data API statements on the cluster with its secret (the
 * processors' grant), and publish to the warning topic; the scheduler role may invoke this function and write the DLQ.
 *
 * @example
 * new StuckMonitor(this, 'StuckMonitor', { topology, cellName, store, alertTopic: alarms.warningTopic,
 *   alertKey: alarms.key, dlqKey, code: lambdaCode.stuckMonitor(), logsKey, period: Duration.minutes(5), lookbackHours: 168 });
 */
export class StuckMonitor extends Construct {
  readonly function: CellFunction;
  /** Standard queue: invocations Scheduler could not deliver and runs that failed. */
  readonly dlq: sqs.Queue;
  /** The role EventBridge Scheduler assumes to invoke the function. */
  readonly schedulerRole: iam.Role;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: StuckMonitorProps) {
    super(scope, id);
    validate(props);
    // A run that has waited a whole period is superseded by the next one.
    const maxEventAge = Duration.seconds(
      Math.max(SCHEDULER_MIN_EVENT_AGE_SEC, props.period.toSeconds() - 60),
    );

    this.dlq = new sqs.Queue(this, 'Dlq', standardDlqProps(props.dlqKey));
    Validations.of(this.dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: of the stuck-monitor schedule (undeliverable invocations) ' +
        "and of the monitor function's failed asynchronous runs.",
    });
    this.function = this.addFunction(props, maxEventAge);
    this.schedulerRole = this.addSchedulerRole(props.dlqKey);
    this.schedule = this.addSchedule(props, maxEventAge);
  }

  /** The monitor Lambda: may query the cell table and publish (encrypted) to the alert topic. */
  private addFunction(props: StuckMonitorProps, maxEventAge: Duration): CellFunction {
    const store = storeAccess(props.store);
    const fn = new CellFunction(this, 'Function', {
      code: props.code,
      description: `Invoice cell ${props.cellName}: stuck-invoice check (${store.reads} -> StuckInvoices metric, alert)`,
      // Shorter than the period, so runs do not pile up.
      timeout: Duration.seconds(Math.min(props.period.toSeconds() - 60, 900)),
      memorySize: 1024,
      logsKey: props.logsKey,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      unscopedActions: store.unscopedActions,
      deadLetterQueue: this.dlq,
      retryAttempts: 0,
      maxEventAge,
      environment: {
        [LAMBDA_ENV.cellName]: props.cellName,
        ...store.environment,
        [LAMBDA_ENV.alertTopicArn]: props.alertTopic.topicArn,
        [LAMBDA_ENV.lookbackHours]: String(props.lookbackHours),
        [LAMBDA_ENV.topology]: topologyEnvValue(props.topology),
      },
    });
    store.grant(fn.role);
    fn.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.alertTopic.topicArn] }),
    );
    // SSE: publishing to the encrypted topic and writing the encrypted DLQ both generate data keys.
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.alertKey.keyArn, props.dlqKey.keyArn],
      }),
    );
    return fn;
  }

  /** The role Scheduler assumes: invoke this function, write the (encrypted) DLQ. */
  private addSchedulerRole(dlqKey: kms.IKey): iam.Role {
    return schedulerInvokeRole(this, {
      description: 'EventBridge Scheduler: invoke the stuck-invoice monitor, dead-letter to its DLQ',
      functionArn: this.function.fn.functionArn,
      dlq: this.dlq,
      dlqKey,
    });
  }

  /** The schedule: every `period`, Scheduler retries deliveries, then dead-letters them. */
  private addSchedule(props: StuckMonitorProps, maxEventAge: Duration): scheduler.Schedule {
    // Not `aws-scheduler-targets.LambdaInvoke`: it grants invoke on `<function>:*` (every version and
    // alias) too; this target names the one function ARN and brings its own role.
    const target: scheduler.IScheduleTarget = {
      bind: () => ({
        arn: this.function.fn.functionArn,
        role: this.schedulerRole,
        deadLetterConfig: { arn: this.dlq.queueArn },
        retryPolicy: {
          maximumEventAgeInSeconds: maxEventAge.toSeconds(),
          maximumRetryAttempts: 3,
        },
      }),
    };
    const schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Invoice cell ${props.cellName}: stuck-invoice check`,
      schedule: scheduler.ScheduleExpression.rate(props.period),
      target,
    });
    // Scheduler checks the role when the schedule is created: create its permissions first.
    schedule.node.addDependency(this.schedulerRole);
    return schedule;
  }
}
