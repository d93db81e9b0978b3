import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as timestream from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import type { CellSettings } from '../cells/topology.js';
import { LAMBDA_ENV } from '../consumers/aws/lambda/lambda-env.js';
import type { InvoiceRecord } from '../consumers/record.js';
import { cellKeyProps } from './defaults/key-defaults.js';
import { RETAINED } from './defaults/retained.js';
import type { ProcessorStoreTarget } from './processor-store.js';

/** What a processor needs from the store: names for its environment and a write grant. */
export interface TimeseriesWriteTarget extends ProcessorStoreTarget {
  readonly databaseName: string;
  readonly tableName: string;
  readonly tableArn: string;
  /** WriteRecords on this table only (+ DescribeEndpoints, which has no resource). */
  grantWrite(grantee: iam.IGrantable): iam.Grant;
}

/** What a reader (the stuck monitor, QuickSight) needs from the store: names and a query grant. */
export interface TimeseriesQueryTarget {
  readonly databaseName: string;
  readonly tableName: string;
  readonly tableArn: string;
  /** Select on this table only (+ DescribeEndpoints, which has no resource). */
  grantQuery(grantee: iam.IGrantable): iam.Grant;
}

export interface TimeseriesStoreProps {
  /** Memory/magnetic retention come from here. */
  readonly settings: CellSettings;
}

/** Timestream retention bounds (https://docs.aws.amazon.com/timestream/latest/developerguide/API_RetentionProperties.html). */
const RETENTION_LIMITS = {
  memoryStoreHours: { min: 1, max: 8766 },
  magneticStoreDays: { min: 1, max: 73_000 },
} as const;

/**
 * Records are looked up by invoice (timelines, stuck invoices), so the table is partitioned by the
 * `invoiceId` dimension. A partition key can only be set when the table is created.
 */
export const PARTITION_DIMENSION = 'invoiceId' satisfies keyof InvoiceRecord['dimensions'];

/** Key prefix of the rejected-record reports in the bucket. */
export const REJECTED_RECORDS_PREFIX = 'rejected-records';

/** Key prefix of the reports of derived rows (rollup scheduled queries) Timestream rejected. */
export const REJECTED_ROLLUPS_PREFIX = 'rejected-rollup-records';

/** What the rollup scheduled queries need from the store: the derived tables and a write grant. */
export interface TimeseriesRollupTarget extends TimeseriesQueryTarget {
  /** Per-tier bins of the event rollups (`dashboards/renderers/timestream-rollup-tables.ts`). */
  readonly rollupBins: TimeseriesQueryTarget;
  /** Latest record per distinct-invoice partition, and the stuck state. */
  readonly latestState: TimeseriesQueryTarget;
  /** WriteRecords on the two derived tables (+ endpoint discovery and their rejected-row reports). */
  grantRollupWrite(grantee: iam.IGrantable): iam.Grant;
}

/**
 * Table retention from the cell settings. `RetentionProperties` is untyped JSON in the L1, so the
 * keys are CloudFormation's own (PascalCase) and the values strings. Pure.
 */
export function tableRetention(settings: CellSettings): Record<string, string> {
  return {
    MemoryStoreRetentionPeriodInHours: String(settings.memoryRetentionHours),
    MagneticStoreRetentionPeriodInDays: String(settings.magneticRetentionDays),
  };
}

function validate(props: TimeseriesStoreProps): void {
  const { memoryRetentionHours: hours, magneticRetentionDays: days } = props.settings;
  const { memoryStoreHours: h, magneticStoreDays: d } = RETENTION_LIMITS;
  if (!Number.isInteger(hours) || hours < h.min || hours > h.max) {
    throw new Error(
      `timeseries store memoryRetentionHours must be an integer in ${h.min}..${h.max}, got ${hours}`,
    );
  }
  if (!Number.isInteger(days) || days < d.min || days > d.max) {
    throw new Error(
      `timeseries store magneticRetentionDays must be an integer in ${d.min}..${d.max}, got ${days}`,
    );
  }
}

/**
 * The cell's Timestream for LiveAnalytics database and multi-measure table, encrypted with a
 * customer-managed key, with magnetic-store writes on so late events (older than the memory
 * store retention) are still accepted; records Timestream rejects asynchronously are reported to
 * an encrypted, private S3 bucket. L1 constructs: there is no Timestream L2.
 *
 * Two derived tables sit in the same database: `RollupBins` and `LatestState`, written only by the
 * rollup scheduled queries (`TimestreamRollups`) and read by the QuickSight data sets and the
 * stuck monitor. Same database, not a second one: one key, one place to find a cell's data, and
 * Select and WriteRecords are granted per table anyway. Two tables, not one: their rows have
 * different column sets (a bins `status` is a dimension, a latest-state `status` a measure, and
 * Timestream keeps one type per column name in a table).
 *
 * Timestream for LiveAnalytics is closed to new accounts since 2025-06-20 (DESIGN §2a); the
 * processors only see the `TimeseriesStore` port, so another store can replace this construct.
 *
 * @example
 * const store = new TimeseriesStore(this, 'Store', { settings: topology.settings });
 * store.grantWrite(processor);
 */
export class TimeseriesStore
  extends Construct
  implements TimeseriesWriteTarget, TimeseriesQueryTarget, TimeseriesRollupTarget
{
  readonly key: kms.Key;
  readonly database: timestream.CfnDatabase;
  readonly table: timestream.CfnTable;
  /** Derived: the rollup bins the scheduled queries write (`TimestreamRollups`). */
  readonly rollupBinsTable: timestream.CfnTable;
  /** Derived: the latest-state and stuck-state rows the scheduled queries write. */
  readonly latestStateTable: timestream.CfnTable;
  readonly rollupBins: TimeseriesQueryTarget;
  readonly latestState: TimeseriesQueryTarget;
  readonly rejectedDataBucket: s3.Bucket;
  readonly databaseName: string;
  readonly tableName: string;
  readonly tableArn: string;
  readonly storeKind = 'timestream' as const;
  /** Timestream SDKs discover the regional cell endpoint first (granted by {@link grantWrite}). */
  readonly unscopedActions: readonly string[] = ['timestream:DescribeEndpoints'];

  constructor(scope: Construct, id: string, props: TimeseriesStoreProps) {
    super(scope, id);
    validate(props);

    this.key = new kms.Key(
      this,
      'Key',
      cellKeyProps('Timestream database and rejected-record reports of an invoice cell'),
    );

    this.rejectedDataBucket = new s3.Bucket(this, 'RejectedData', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RETAINED,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
    });
    Validations.of(this.rejectedDataBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "Only Timestream writes here (reports of late records it rejected, with the processors' identity); a server-access-log bucket " +
        'would itself need a log bucket. Access is audited with CloudTrail, and the bucket is private, ' +
        'KMS-encrypted, TLS-only and versioned.',
    });

    this.database = new timestream.CfnDatabase(this, 'Database', { kmsKeyId: this.key.keyArn });
    this.database.applyRemovalPolicy(RETAINED);

    this.table = new timestream.CfnTable(this, 'Table', {
      databaseName: this.database.ref,
      retentionProperties: tableRetention(props.settings),
      // Untyped JSON in the L1 as well: CloudFormation (PascalCase) keys.
      magneticStoreWriteProperties: {
        EnableMagneticStoreWrites: true,
        MagneticStoreRejectedDataLocation: {
          S3Configuration: {
            BucketName: this.rejectedDataBucket.bucketName,
            EncryptionOption: 'SSE_KMS',
            KmsKeyId: this.key.keyArn,
            ObjectKeyPrefix: REJECTED_RECORDS_PREFIX,
          },
        },
      },
      schema: {
        compositePartitionKey: [
          { type: 'DIMENSION', name: PARTITION_DIMENSION, enforcementInRecord: 'REQUIRED' },
        ],
      },
    });
    this.table.applyRemovalPolicy(RETAINED);

    this.databaseName = this.database.ref;
    this.tableName = this.table.attrName;
    this.tableArn = this.table.attrArn;

    this.rollupBinsTable = this.derivedTable('RollupBins', props.settings);
    this.latestStateTable = this.derivedTable('LatestState', props.settings);
    this.rollupBins = this.queryTarget(this.rollupBinsTable);
    this.latestState = this.queryTarget(this.latestStateTable);

    for (const resource of [this.database, this.table, this.rollupBinsTable, this.latestStateTable]) {
      Validations.of(resource).acknowledge({
        id: 'CloudFormation-Validate::W3697',
        reason:
          'Timestream for LiveAnalytics is in maintenance mode (closed to new accounts since 2025-06-20); ' +
          'cells deploy only to accounts that already use it, and the store is behind a port (DESIGN §2a, §5).',
      });
    }
  }

  /**
   * A table the rollup scheduled queries write, in the cell database under the same key, with the
   * records' retention (minute bins are a few rows per minute and group, so there is no reason to
   * keep them shorter than the records they summarise) and magnetic-store writes, so a catch-up or
   * a manual backfill of an old window is accepted. No custom partition key: rows are partitioned
   * by measure name, which is the spec or scope id every reader filters on.
   */
  private derivedTable(id: string, settings: CellSettings): timestream.CfnTable {
    const table = new timestream.CfnTable(this, id, {
      databaseName: this.database.ref,
      retentionProperties: tableRetention(settings),
      magneticStoreWriteProperties: {
        EnableMagneticStoreWrites: true,
        MagneticStoreRejectedDataLocation: {
          S3Configuration: {
            BucketName: this.rejectedDataBucket.bucketName,
            EncryptionOption: 'SSE_KMS',
            KmsKeyId: this.key.keyArn,
            ObjectKeyPrefix: REJECTED_ROLLUPS_PREFIX,
          },
        },
      },
    });
    table.applyRemovalPolicy(RETAINED);
    return table;
  }

  private queryTarget(table: timestream.CfnTable): TimeseriesQueryTarget {
    const target: TimeseriesQueryTarget = {
      databaseName: this.database.ref,
      tableName: table.attrName,
      tableArn: table.attrArn,
      grantQuery: (grantee) => this.grantSelect(grantee, [target.tableArn]),
    };
    return target;
  }

  /** The processor's environment: the store kind, the database and the records table. */
  get processorEnvironment(): Readonly<Record<string, string>> {
    return {
      [LAMBDA_ENV.storeKind]: this.storeKind,
      [LAMBDA_ENV.database]: this.databaseName,
      [LAMBDA_ENV.table]: this.tableName,
    };
  }

  grantWrite(grantee: iam.IGrantable): iam.Grant {
    // Timestream SDKs discover the regional cell endpoint first; DescribeEndpoints has no resource
    // (https://docs.aws.amazon.com/timestream/latest/developerguide/Using-API.endpoint-discovery.html).
    iam.Grant.addToPrincipal({ grantee, actions: ['timestream:DescribeEndpoints'], resourceArns: ['*'] });
    this.grantRejectedReports(grantee, REJECTED_RECORDS_PREFIX);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['timestream:WriteRecords'],
      resourceArns: [this.tableArn],
    });
  }

  grantRollupWrite(grantee: iam.IGrantable): iam.Grant {
    iam.Grant.addToPrincipal({ grantee, actions: ['timestream:DescribeEndpoints'], resourceArns: ['*'] });
    this.grantRejectedReports(grantee, REJECTED_ROLLUPS_PREFIX);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['timestream:WriteRecords'],
      resourceArns: [this.rollupBins.tableArn, this.latestState.tableArn],
    });
  }

  /**
   * Timestream writes its error reports with the identity of the principal whose request they are
   * about, not as a service principal: for report buckets it documents `s3:PutObject` and
   * `s3:GetBucketAcl` "in an attached policy" of that caller
   * (https://docs.aws.amazon.com/timestream/latest/developerguide/batch-load-prerequisites.html), and
   * the magnetic-store reports (`MagneticStoreRejectedDataLocation`) name no principal to trust in a
   * bucket or key policy. So every writer gets exactly that, on the report prefix only, plus the data
   * keys SSE-KMS needs under the store key
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
   */
  private grantRejectedReports(grantee: iam.IGrantable, prefix: string): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.rejectedDataBucket.arnForObjects(`${prefix}/*`)],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetBucketAcl'],
      resourceArns: [this.rejectedDataBucket.bucketArn],
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['kms:GenerateDataKey'], resourceArns: [this.key.keyArn] });
    if (Construct.isConstruct(grantee)) {
      const bucket = Stack.of(this).getLogicalId(this.rejectedDataBucket.node.defaultChild as s3.CfnBucket);
      Validations.of(grantee).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/${prefix}/*]`,
        reason:
          'Timestream names each rejected-record report object itself; the grant is PutObject under the ' +
          'report prefix of the cell bucket only.',
      });
    }
  }

  grantQuery(grantee: iam.IGrantable): iam.Grant {
    return this.grantSelect(grantee, [this.tableArn]);
  }

  private grantSelect(grantee: iam.IGrantable, tableArns: string[]): iam.Grant {
    iam.Grant.addToPrincipal({ grantee, actions: ['timestream:DescribeEndpoints'], resourceArns: ['*'] });
    // Query needs Select on every table the statement reads; each query reads one table
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazontimestream.html).
    return iam.Grant.addToPrincipal({ grantee, actions: ['timestream:Select'], resourceArns: tableArns });
  }
}
