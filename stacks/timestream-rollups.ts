import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as timestream from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import type { CellTopology } from '../cells/topology.js';
import { buildDashboards, type Dashboard } from '../dashboards/panels/panels.js';
import {
  type RollupJobOptions,
  type TimestreamRollupJob,
  type TimestreamRollupPlan,
  timestreamRollupJobs,
} from '../dashboards/renderers/timestream-rollup-jobs.js';
import { bindTimestreamTables } from '../dashboards/renderers/timestream-rollup-tables.js';
import { rollupsOf } from '../dashboards/rollups/apply-record.js';
import { privateBucketProps } from './defaults/bucket-defaults.js';
import { cellKeyProps } from './defaults/key-defaults.js';
import { standardDlqProps } from './defaults/queue-defaults.js';
import { RETAINED } from './defaults/retained.js';
import type { TimeseriesRollupTarget } from './timeseries-store.js';

export interface TimestreamRollupsProps extends Omit<RollupJobOptions, 'topology'> {
  readonly topology: CellTopology;
  /** The records table the queries read and the derived tables they write. */
  readonly store: TimeseriesRollupTarget;
  /** Where the failed-runs alarm notifies (the cell's warning topic). */
  readonly alarmTopic: sns.ITopic;
  /** The cell's alarm name prefix (`CellAlarms.alarmNamePrefix`): the alert topic admits only those. */
  readonly alarmNamePrefix: string;
  /**
   * Encrypts the failed-runs queue: the cell's dead-letter key (`DeadLetterKey`). Not this
   * construct's key: SNS may use the queue's key only for deliveries from the notification topic,
   * which names the topic in the key policy, while the topic is encrypted under this construct's
   * key — one key for both would be a dependency cycle; and a queue of failures is best kept under
   * a key those failures cannot involve.
   */
  readonly failedRunsKey: kms.IKey;
  /** @default buildDashboards(topology) */
  readonly dashboards?: readonly Dashboard[];
}

/**
 * Scheduled queries per account and region
 * (https://docs.aws.amazon.com/timestream/latest/developerguide/ts-limits.html, "Scheduled queries
 * per account": 10,000). A cell needs a dozen or two; more would mean combining specs.
 */
export const SCHEDULED_QUERIES_PER_ACCOUNT = 10_000;

/** Key prefix of the scheduled-query error reports (Timestream adds `<query name>/<invocation time>/...`). */
export const ERROR_REPORTS_PREFIX = 'scheduled-query-errors';

/**
 * Notification types of a failed run (`runStatus`), for automatic and manual runs alike
 * (https://docs.aws.amazon.com/timestream/latest/developerguide/scheduledqueries-notification.html).
 * A query Timestream disables after a non-recoverable error also sends one of these first
 * (https://docs.aws.amazon.com/timestream/latest/developerguide/scheduledqueries-errorreport.html).
 */
export const FAILED_RUN_TYPES = ['AUTO_TRIGGER_FAILURE', 'MANUAL_TRIGGER_FAILURE'] as const;

/** The failed-runs alarm is `<prefix><this>`, like the rule alarms of `CellAlarms`. */
export const FAILED_RUNS_ALARM_ID = 'rollup-queries-failed';

/**
 * The panel-derived rollups on AWS: one `AWS::Timestream::ScheduledQuery` per job of
 * `timestreamRollupJobs` (per event spec and tier, per distinct-invoice scope, the stuck state, and
 * their daily catch-ups), writing the store's derived tables, with what a scheduled query needs:
 *
 * - an **execution role** only `timestream.amazonaws.com` may assume, allowed exactly: Select on the
 *   tables the jobs read (records, bins), WriteRecords on the two derived tables, endpoint
 *   discovery, Publish to the notification topic, PutObject of error reports under their prefix and
 *   GetBucketAcl of that bucket, and this construct's key for the encrypted topic, reports and
 *   queries (the role is the identity Timestream uses for all of them:
 *   https://docs.aws.amazon.com/timestream/latest/developerguide/security_iam_id-based-policy-examples.html#security_iam_id-based-policy-examples-sheduledqueries);
 * - an **error-report bucket** (KMS, private, TLS-only, retained, reports expire after 90 days);
 * - a **notification topic** (KMS) every run reports to; failed runs are filtered (by the body's
 *   `type`) into a **failed-runs queue**, and an alarm on that queue (`<prefix>rollup-queries-failed`,
 *   any message visible) notifies the cell's warning topic, as `CellAlarms` notifies for a DLQ.
 *   Operators read the failure reason and report location there, fix the cause, run the missed
 *   window again (`execute-scheduled-query`) and purge the queue.
 *
 * @example
 * new TimestreamRollups(this, 'Rollups', { topology, store, alarmTopic: alarms.warningTopic, alarmNamePrefix: alarms.alarmNamePrefix });
 */
export class TimestreamRollups extends Construct {
  readonly plan: TimestreamRollupPlan;
  /** Encrypts the topic, the error reports and the queries at rest. */
  readonly key: kms.Key;
  readonly errorReports: s3.Bucket;
  readonly notifications: sns.Topic;
  readonly failedRuns: sqs.Queue;
  readonly role: iam.Role;
  /** Scheduled query of each job, by job id. */
  readonly queries: ReadonlyMap<string, timestream.CfnScheduledQuery>;
  readonly failedRunsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TimestreamRollupsProps) {
    super(scope, id);
    const { topology, store } = props;
    const dashboards = props.dashboards ?? buildDashboards(topology);
    this.plan = timestreamRollupJobs(rollupsOf(dashboards), { ...props, topology });
    if (this.plan.jobs.length > SCHEDULED_QUERIES_PER_ACCOUNT) {
      throw new Error(
        `timestream rollups need ${this.plan.jobs.length} scheduled queries, over the ${SCHEDULED_QUERIES_PER_ACCOUNT} an account may have`,
      );
    }

    this.key = new kms.Key(
      this,
      'Key',
      cellKeyProps('Rollup scheduled queries of an invoice cell: notifications, failed runs, error reports'),
    );
    this.errorReports = this.addErrorReports();
    this.notifications = new sns.Topic(this, 'Notifications', {
      displayName: 'Invoice cell rollup query runs',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.notifications.applyRemovalPolicy(RETAINED);
    this.failedRuns = this.addFailedRuns(props.failedRunsKey);
    this.role = this.addRole(store);
    this.queries = this.addQueries(store);
    this.failedRunsAlarm = this.addAlarm(props);
  }

  private addErrorReports(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'ErrorReports', {
      ...privateBucketProps(this.key),
      // A report matters until its run is fixed and run again; the notification names it.
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only Timestream writes here (error reports of rollup query runs, with the execution role); a ' +
        'server-access-log bucket would itself need a log bucket. Access is audited with CloudTrail, and ' +
        'the bucket is private, KMS-encrypted and TLS-only.',
    });
    return bucket;
  }

  /** Failed runs only, kept for operators (14 days) and alarmed while any is there. */
  private addFailedRuns(key: kms.IKey): sqs.Queue {
    const queue = new sqs.Queue(this, 'FailedRuns', standardDlqProps(key));
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'Nothing consumes this queue: it holds the failure notifications of rollup query runs for ' +
        'operators to read and purge, alarmed while not empty; a DLQ behind it would hold nothing.',
    });
    this.notifications.addSubscription(
      new subscriptions.SqsSubscription(queue, {
        rawMessageDelivery: true,
        filterPolicyWithMessageBody: {
          type: sns.FilterOrPolicy.filter(
            sns.SubscriptionFilter.stringFilter({ allowlist: [...FAILED_RUN_TYPES] }),
          ),
        },
      }),
    );
    return queue;
  }

  private addRole(store: TimeseriesRollupTarget): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'Role', {
      description: 'Timestream scheduled queries of the invoice cell rollups',
      // Confused deputy: `IfExists`, as Timestream documents no source keys for scheduled queries;
      // when they are sent they must name this account's scheduled queries.
      assumedBy: new iam.ServicePrincipal('timestream.amazonaws.com', {
        conditions: {
          StringEqualsIfExists: { 'aws:SourceAccount': stack.account },
          ArnLikeIfExists: {
            'aws:SourceArn': stack.formatArn({
              service: 'timestream',
              resource: 'scheduled-query',
              resourceName: '*',
            }),
          },
        },
      }),
    });
    const reads = new Set(this.plan.jobs.flatMap((j) => j.reads));
    const selectable = [
      ...(reads.has('records') ? [store.tableArn] : []),
      ...(reads.has('bins') ? [store.rollupBins.tableArn] : []),
    ];
    role.addToPolicy(new iam.PolicyStatement({ actions: ['timestream:Select'], resources: selectable }));
    store.grantRollupWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.notifications.topicArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.errorReports.arnForObjects(`${ERROR_REPORTS_PREFIX}/*`)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetBucketAcl'], resources: [this.errorReports.bucketArn] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
      }),
    );
    const bucket = stack.getLogicalId(this.errorReports.node.defaultChild as s3.CfnBucket);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'timestream:DescribeEndpoints (endpoint discovery) supports no resource-level permissions; every other ' +
        'statement names its table, topic, bucket prefix or key.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/${ERROR_REPORTS_PREFIX}/*]`,
      reason:
        'Timestream names each error report itself (query name, invocation and trigger time) under the prefix.',
    });
    return role;
  }

  private addQueries(store: TimeseriesRollupTarget): ReadonlyMap<string, timestream.CfnScheduledQuery> {
    const names = {
      database: store.databaseName,
      records: store.tableName,
      bins: store.rollupBins.tableName,
      latest: store.latestState.tableName,
    };
    const queries = new Map<string, timestream.CfnScheduledQuery>();
    for (const job of this.plan.jobs) {
      const query = new timestream.CfnScheduledQuery(this, `Query-${job.id}`, {
        queryString: bindTimestreamTables(job.queryString, names),
        scheduleConfiguration: { scheduleExpression: job.scheduleExpression },
        notificationConfiguration: { snsConfiguration: { topicArn: this.notifications.topicArn } },
        errorReportConfiguration: {
          s3Configuration: {
            bucketName: this.errorReports.bucketName,
            encryptionOption: 'SSE_KMS',
            objectKeyPrefix: ERROR_REPORTS_PREFIX,
          },
        },
        // Also encrypts the SSE_KMS error reports (CreateScheduledQuery `KmsKeyId`).
        kmsKeyId: this.key.keyArn,
        scheduledQueryExecutionRoleArn: this.role.roleArn,
        targetConfiguration: { timestreamConfiguration: targetOf(job, names) },
        tags: [{ key: 'rollup-job', value: job.id }],
      });
      Validations.of(query).acknowledge({
        id: 'CloudFormation-Validate::W3697',
        reason:
          'Timestream for LiveAnalytics is in maintenance mode (closed to new accounts since 2025-06-20); ' +
          'cells deploy only to accounts that already use it, and the store is behind a port (DESIGN §2a, §5).',
      });
      // Timestream publishes a "creating" notification with the role as the query is created, so
      // the role's policy must exist first (the role itself is already referenced).
      query.node.addDependency(this.role.node.findChild('DefaultPolicy'));
      queries.set(job.id, query);
    }
    return queries;
  }

  private addAlarm(props: TimestreamRollupsProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'FailedRunsAlarm', {
      alarmName: `${props.alarmNamePrefix}${FAILED_RUNS_ALARM_ID}`,
      alarmDescription:
        'Rollup scheduled queries failed: dashboards and the stuck monitor may miss data. Read the failed-runs ' +
        'queue (failureReason, error report), fix the cause, run the missed windows again with ' +
        'execute-scheduled-query, then purge the queue. (severity warning)',
      metric: this.failedRuns.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
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

/** The job's `TargetConfiguration.TimestreamConfiguration`: its derived table and row mapping. */
function targetOf(
  job: TimestreamRollupJob,
  names: { readonly database: string; readonly bins: string; readonly latest: string },
): timestream.CfnScheduledQuery.TimestreamConfigurationProperty {
  const { target } = job;
  return {
    databaseName: names.database,
    tableName: target.table === 'bins' ? names.bins : names.latest,
    timeColumn: target.timeColumn,
    dimensionMappings: target.dimensions.map((name) => ({ name, dimensionValueType: 'VARCHAR' })),
    multiMeasureMappings: {
      targetMultiMeasureName: target.measureName,
      multiMeasureAttributeMappings: target.measures.map((m) => ({
        sourceColumn: m.column,
        measureValueType: m.type,
      })),
    },
  };
}
