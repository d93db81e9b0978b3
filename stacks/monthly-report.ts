import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { CellTopology, StageName } from '../cells/topology.js';
import { LAMBDA_ENV } from '../consumers/aws/lambda/lambda-env.js';
import { REPORT_KEY_PREFIX } from '../consumers/aws/lambda/monthly-report-notice.js';
import { topologyEnvValue } from '../consumers/aws/lambda/topology-env.js';
import { reportSpecText, type TimestreamReportSpec } from '../consumers/aws/timestream-report-spec.js';
import { CellFunction } from './cell-function.js';
import { privateBucketProps } from './defaults/bucket-defaults.js';
import { cellKeyProps } from './defaults/key-defaults.js';
import { standardDlqProps } from './defaults/queue-defaults.js';
import { RETAINED } from './defaults/retained.js';
import type { ProcessorStoreTarget } from './processor-store.js';
import { schedulerInvokeRole } from './scheduler-role.js';
import type { TimeseriesQueryTarget } from './timeseries-store.js';

export interface MonthlyReportProps {
  /** Carried in the function's environment (stage order, SLAs: the stuck figure). */
  readonly topology: CellTopology;
  /** Named in the report and in the notice. */
  readonly cellName: string;
  /**
   * Where the figures are read: the Timestream latest-state table (the only table the function may
   * query), or an Aurora PostgreSQL store (its rollups and invoice state through the Data API, with
   * exactly the processors' Data API grant).
   */
  readonly store: TimeseriesQueryTarget | MonthlyReportAuroraStore;
  /**
   * Every stage's queue and DLQ: the reconciliation reads their depths (`sqs:GetQueueAttributes` on
   * exactly these), beside the relay's and processor's CloudWatch sums.
   */
  readonly stageQueues: readonly MonthlyReportStageQueues[];
  /**
   * Timestream stores (required there): which latest-state rows each figure reads
   * (`timestreamReportSpec`); its zone must be the topology's. An Aurora store needs none.
   */
  readonly spec?: TimestreamReportSpec;
  /** Local time on the 1st when the report runs (`reportRunTime`). */
  readonly runAt: { readonly hour: number; readonly minute: number };
  readonly code: lambda.Code;
  readonly logsKey: kms.IKey;
  /** Encrypts the DLQ: the cell's dead-letter key, which no report failure involves ({@link DeadLetterKey}). */
  readonly dlqKey: kms.IKey;
  readonly logRetention?: logs.RetentionDays;
  /** Where the failed-report alarm notifies (the cell's warning topic). */
  readonly alarmTopic: sns.ITopic;
  /** The cell's alarm name prefix: the alarm is `<prefix>monthly-report-failed`. */
  readonly alarmNamePrefix: string;
}

/** An Aurora PostgreSQL store as the report reads it: its environment and its Data API grant. */
export interface MonthlyReportAuroraStore extends ProcessorStoreTarget {
  readonly storeKind: 'aurora-postgresql';
}

function isAurora(store: MonthlyReportProps['store']): store is MonthlyReportAuroraStore {
  return 'storeKind' in store && store.storeKind === 'aurora-postgresql';
}

/** One stage's queues, as the reconciliation reads them. */
export interface MonthlyReportStageQueues {
  readonly stage: StageName;
  readonly queue: sqs.IQueue;
  readonly dlq: sqs.IQueue;
}

/** The failed-report alarm is `<prefix><this>`, like the rule alarms of `CellAlarms`. */
export const MONTHLY_REPORT_ALARM_ID = 'monthly-report-failed';

/**
 * Scheduler retries a failed delivery for up to a day (the API's maxima: 185 attempts, 86,400 s;
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html): a monthly
 * report missed to a short outage is still worth delivering on the 1st.
 */
const SCHEDULER_RETRY = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 } as const;

/** Lambda's own asynchronous retries and event age, at their maxima (2 retries, 6 h). */
const ASYNC_RETRIES = { retryAttempts: 2, maxEventAge: Duration.hours(6) } as const;

function validate(props: MonthlyReportProps): void {
  const { hour, minute } = props.runAt;
  if (
    !Number.isInteger(hour) ||
    hour < 0 ||
    hour > 23 ||
    !Number.isInteger(minute) ||
    minute < 0 ||
    minute > 59
  ) {
    throw new Error(
      `monthly report runAt must be a time of day (hour 0..23, minute 0..59), got ${hour}:${minute}`,
    );
  }
  if (!isAurora(props.store) && props.spec === undefined) {
    throw new Error('monthly report spec is required with a Timestream store, got undefined');
  }
  if (props.spec && props.spec.timeZone !== props.topology.settings.timeZone) {
    throw new Error(
      `monthly report spec timeZone must be the topology's ${props.topology.settings.timeZone}, got ${props.spec.timeZone}`,
    );
  }
  if (props.cellName.trim() === '') throw new Error('monthly report cellName must not be empty, got ""');
  const given = props.stageQueues.map((q) => q.stage);
  const expected = props.topology.stages.map((s) => s.name);
  if (given.length !== expected.length || expected.some((name) => !given.includes(name))) {
    throw new Error(
      `monthly report stageQueues must name each stage of the topology once (${expected.join(', ')}), got ${given.join(', ') || 'none'}`,
    );
  }
}

/**
 * The monthly consolidated report on AWS (issue 13): on the 1st of each month, at `runAt` in the
 * cell's time zone (EventBridge Scheduler cron with `ScheduleExpressionTimezone`; cron fields and
 * time zones: https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based),
 * a Lambda builds the previous month's report from the Timestream latest-state table, writes
 * `reports/<YYYY-MM>.{html,json,csv}` to the report bucket and tells the report topic where they
 * are — a link, never the figures. Subscribe people (email) to the topic; give readers
 * `s3:GetObject` on the bucket and `kms:Decrypt` on the key.
 *
 * - **Bucket**: SSE-KMS under this construct's key (bucket key on), private, TLS-only, versioned
 *   (a rebuilt month keeps its earlier versions for 365 days), retained.
 * - **Topic**: encrypted under the same key, TLS-only, retained.
 * - **Failures**: Scheduler retries failed deliveries for a day, Lambda retries a failed run twice
 *   (6 h), then both dead-letter to the DLQ; an alarm (`<prefix>monthly-report-failed`) notifies the
 *   warning topic while it holds a message. Rebuild a month by invoking the function with
 *   `{"month": "YYYY-MM"}`.
 * - **Least privilege**: the function may Select the latest-state table (+ `DescribeEndpoints`,
 *   which has no resource), read the stage queues' and DLQs' attributes and CloudWatch metric data
 *   (no resource-level permission either), put objects under `reports/` of its bucket, publish to
 *   its topic, and use the report and DLQ keys for data keys; the scheduler role may invoke that function and write the
 *   DLQ, nothing else.
 *
 * @example
 * new MonthlyReport(this, 'MonthlyReport', { topology, cellName, store: store.latestState, spec, runAt: { hour: 1, minute: 10 },
 *   code: lambdaCode.monthlyReport(), logsKey, dlqKey, alarmTopic: alarms.warningTopic, alarmNamePrefix: alarms.alarmNamePrefix });
 */
export class MonthlyReport extends Construct {
  /** Timestream cells: which latest-state rows each figure reads (the function's environment, a stack output). */
  readonly spec?: TimestreamReportSpec;
  /** Encrypts the reports and the topic. */
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
  readonly topic: sns.Topic;
  /** Standard queue: invocations Scheduler could not deliver and runs that failed. */
  readonly dlq: sqs.Queue;
  readonly function: CellFunction;
  /** The role EventBridge Scheduler assumes to invoke the function. */
  readonly schedulerRole: iam.Role;
  readonly schedule: scheduler.Schedule;
  readonly failedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: MonthlyReportProps) {
    super(scope, id);
    validate(props);
    if (props.spec) this.spec = props.spec;
    this.key = new kms.Key(
      this,
      'Key',
      cellKeyProps('Monthly reports of an invoice cell: report objects and notices'),
    );
    this.bucket = this.addBucket();
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `Invoice cell ${props.cellName} monthly reports`,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.topic.applyRemovalPolicy(RETAINED);
    this.dlq = new sqs.Queue(this, 'Dlq', standardDlqProps(props.dlqKey));
    Validations.of(this.dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: of the monthly-report schedule (undeliverable invocations) ' +
        "and of the report function's failed asynchronous runs; it is alarmed while not empty.",
    });
    this.function = this.addFunction(props);
    this.schedulerRole = this.addSchedulerRole(props.dlqKey);
    this.schedule = this.addSchedule(props);
    this.failedAlarm = this.addAlarm(props);
  }

  private addBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Reports', {
      ...privateBucketProps(this.key),
      versioned: true,
      // Current reports are kept; a month built again keeps its earlier version for a year.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(365) }],
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the report function writes here (reports/ prefix); a server-access-log bucket would itself need a ' +
        'log bucket. Reads and writes are audited with CloudTrail (enable S3 data events for this bucket to ' +
        'record who opened a report), and the bucket is private, KMS-encrypted, TLS-only and versioned.',
    });
    return bucket;
  }

  /** The report Lambda: reads the cell's store, writes reports/, publishes the notice. */
  private addFunction(props: MonthlyReportProps): CellFunction {
    const { store } = props;
    const aurora = isAurora(store);
    const fn = new CellFunction(this, 'Function', {
      code: props.code,
      description: aurora
        ? `Invoice cell ${props.cellName}: monthly report (Aurora PostgreSQL rollups -> S3 reports/, SNS notice)`
        : `Invoice cell ${props.cellName}: monthly report (Timestream latest state -> S3 reports/, SNS notice)`,
      // Lambda's maximum: five queries over a month of latest-state rows and three uploads.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      logsKey: props.logsKey,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      // Timestream endpoint discovery (granted by `store.grantQuery`), and the reconciliation's
      // metric sums: GetMetricData has no resource-level permission
      // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).
      unscopedActions: aurora
        ? [...store.unscopedActions, 'cloudwatch:GetMetricData']
        : ['timestream:DescribeEndpoints', 'cloudwatch:GetMetricData'],
      deadLetterQueue: this.dlq,
      ...ASYNC_RETRIES,
      environment: {
        [LAMBDA_ENV.cellName]: props.cellName,
        ...(aurora ? store.processorEnvironment : {}),
        ...(!aurora && props.spec
          ? {
              [LAMBDA_ENV.database]: store.databaseName,
              [LAMBDA_ENV.table]: store.tableName,
              [LAMBDA_ENV.reportSpec]: reportSpecText(props.spec),
            }
          : {}),
        [LAMBDA_ENV.reportBucket]: this.bucket.bucketName,
        [LAMBDA_ENV.reportKeyArn]: this.key.keyArn,
        [LAMBDA_ENV.reportTopicArn]: this.topic.topicArn,
        [LAMBDA_ENV.topology]: topologyEnvValue(props.topology),
        [LAMBDA_ENV.reportStageQueues]: Stack.of(this).toJsonString(
          Object.fromEntries(
            props.stageQueues.map((q) => [q.stage, { queueUrl: q.queue.queueUrl, dlqUrl: q.dlq.queueUrl }]),
          ),
        ),
      },
    });
    // Aurora: the processors' own Data API grant (five rds-data actions on the cluster, the secret,
    // kms:Decrypt via Secrets Manager). The Data API has no read-only action set; the report's
    // statements run in a READ ONLY transaction.
    if (aurora) store.grantWrite(fn.role);
    else store.grantQuery(fn.role);
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${REPORT_KEY_PREFIX}*`)],
      }),
    );
    fn.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    // The reconciliation's depths: attributes of exactly the stage queues and DLQs (no KMS needed:
    // GetQueueAttributes reads no message).
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:GetQueueAttributes'],
        resources: props.stageQueues.flatMap((q) => [q.queue.queueArn, q.dlq.queueArn]),
      }),
    );
    fn.role.addToPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    // SSE-KMS uploads need data keys (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html);
    // publishing to an encrypted topic needs GenerateDataKey and Decrypt
    // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html); so does the encrypted DLQ.
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn, props.dlqKey.keyArn],
      }),
    );
    const bucket = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/${REPORT_KEY_PREFIX}*]`,
      reason:
        'The function writes one object per month and format (reports/<YYYY-MM>.html|json|csv); the grant is ' +
        'PutObject under the reports/ prefix of its own bucket only.',
    });
    return fn;
  }

  /** The role Scheduler assumes: invoke this function, write the (encrypted) DLQ. */
  private addSchedulerRole(dlqKey: kms.IKey): iam.Role {
    return schedulerInvokeRole(this, {
      description: 'EventBridge Scheduler: invoke the monthly report function, dead-letter to its DLQ',
      functionArn: this.function.fn.functionArn,
      dlq: this.dlq,
      dlqKey,
    });
  }

  /** `cron(<minute> <hour> 1 * ? *)` in the cell's zone, flexible window off, with the scheduled time as input. */
  private addSchedule(props: MonthlyReportProps): scheduler.Schedule {
    // Not `aws-scheduler-targets.LambdaInvoke`: it grants invoke on `<function>:*` too; this target
    // names the one function ARN and brings its own role.
    const target: scheduler.IScheduleTarget = {
      bind: () => ({
        arn: this.function.fn.functionArn,
        role: this.schedulerRole,
        // The run reports the month before the one it was *scheduled* in, even when delivered late
        // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
        input: scheduler.ScheduleTargetInput.fromObject({
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
        }),
        deadLetterConfig: { arn: this.dlq.queueArn },
        retryPolicy: SCHEDULER_RETRY,
      }),
    };
    const { hour, minute } = props.runAt;
    const schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Invoice cell ${props.cellName}: monthly report of the previous month`,
      schedule: scheduler.ScheduleExpression.expression(
        `cron(${minute} ${hour} 1 * ? *)`,
        TimeZone.of(props.topology.settings.timeZone),
      ),
      target,
    });
    // Scheduler checks the role when the schedule is created: create its permissions first.
    schedule.node.addDependency(this.schedulerRole);
    return schedule;
  }

  private addAlarm(props: MonthlyReportProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'FailedAlarm', {
      alarmName: `${props.alarmNamePrefix}${MONTHLY_REPORT_ALARM_ID}`,
      alarmDescription:
        'A monthly report was not delivered: its run failed after the retries, or Scheduler could not invoke ' +
        'the function. Read the DLQ message and the function logs, fix the cause, invoke the function with ' +
        '{"month": "YYYY-MM"} and purge the queue. (severity warning)',
      metric: this.dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new actions.SnsAction(props.alarmTopic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}
