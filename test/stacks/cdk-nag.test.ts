import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../../cells/catalog.js';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { DASHBOARDS } from '../../dashboards/panels/panels.js';
import { timestreamRollupJobs } from '../../dashboards/renderers/timestream-rollup-jobs.js';
import { rollupsOf } from '../../dashboards/rollups/apply-record.js';
import { buildApp } from '../../stacks/app.js';
import { CellStack } from '../../stacks/cell-stack.js';
import { cdkJsonContext, STUB_LAMBDA_CODE, synthCells } from './cell-fixture.js';

/**
 * cdk-nag 3 runs as a CDK policy-validation plugin (`Validations.of(app).addPlugins(...)`, see
 * stacks/app.ts) and suppressions are `Validations.of(construct).acknowledge({ id, reason })`.
 * Here the pack is run directly on each cell with `validateScope`, which reports errors *and*
 * warnings (synth itself only fails on errors).
 */

/**
 * Every acknowledged rule, by construct path relative to the stack. A new suppression must be
 * added here on purpose, with its reason written where the construct is made.
 */
const EXPECTED_ACKNOWLEDGMENTS: readonly string[] = [
  'Api/Api Annotation::AwsSolutions-COG4',
  'Api/Api Annotation::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
  'AuthorizationConsumer/AuthorizationProcessor/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'IngestionConsumer/IngestionProcessor/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'PostingConsumer/PostingProcessor/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'ReconciliationConsumer/ReconciliationProcessor/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  // Timestream names each rejected-record report under the prefix the processors may write.
  'IngestionConsumer/IngestionProcessor/Role Annotation::AwsSolutions-IAM5[Resource::<StoreRejectedDataFB62AB88.Arn>/rejected-records/*]',
  'ReconciliationConsumer/ReconciliationProcessor/Role Annotation::AwsSolutions-IAM5[Resource::<StoreRejectedDataFB62AB88.Arn>/rejected-records/*]',
  'AuthorizationConsumer/AuthorizationProcessor/Role Annotation::AwsSolutions-IAM5[Resource::<StoreRejectedDataFB62AB88.Arn>/rejected-records/*]',
  'PostingConsumer/PostingProcessor/Role Annotation::AwsSolutions-IAM5[Resource::<StoreRejectedDataFB62AB88.Arn>/rejected-records/*]',
  'Routing/AuthorizationRelay/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'Routing/AuthorizationRelayDlq Annotation::AwsSolutions-SQS3',
  'Routing/BusDlq Annotation::AwsSolutions-SQS3',
  'Routing/IngestionRelay/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'Routing/IngestionRelayDlq Annotation::AwsSolutions-SQS3',
  'Routing/PostingRelay/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'Routing/PostingRelayDlq Annotation::AwsSolutions-SQS3',
  'Routing/ReconciliationRelay/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'Routing/ReconciliationRelayDlq Annotation::AwsSolutions-SQS3',
  'Store/Database CloudFormation-Validate::W3697',
  'Store/RejectedData Annotation::AwsSolutions-S1',
  'Store/Table CloudFormation-Validate::W3697',
  'StuckMonitor/Dlq Annotation::AwsSolutions-SQS3',
  'StuckMonitor/Function/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  // Monthly report: its DLQ, the report bucket's access logs, endpoint discovery, PutObject under reports/.
  'MonthlyReport/Dlq Annotation::AwsSolutions-SQS3',
  'MonthlyReport/Reports Annotation::AwsSolutions-S1',
  'MonthlyReport/Function/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'MonthlyReport/Function/Role Annotation::AwsSolutions-IAM5[Resource::<MonthlyReportReports54B07895.Arn>/reports/*]',
  // Rollups: the derived tables, the error-report bucket, the failed-runs queue and the query role.
  'Store/LatestState CloudFormation-Validate::W3697',
  'Store/RollupBins CloudFormation-Validate::W3697',
  'Rollups/ErrorReports Annotation::AwsSolutions-S1',
  'Rollups/FailedRuns Annotation::AwsSolutions-SQS3',
  'Rollups/Role Annotation::AwsSolutions-IAM5[Resource::*]',
  'Rollups/Role Annotation::AwsSolutions-IAM5[Resource::<RollupsErrorReports5D47DDDF.Arn>/scheduled-query-errors/*]',
  'Rollups/Role Annotation::AwsSolutions-IAM5[Resource::<StoreRejectedDataFB62AB88.Arn>/rejected-rollup-records/*]',
  // Every rollup scheduled query: Timestream's maintenance-mode warning, with the store's reason.
  ...timestreamRollupJobs(rollupsOf(DASHBOARDS), { topology: CELL_TOPOLOGY }).jobs.map(
    (job) => `Rollups/Query-${job.id} CloudFormation-Validate::W3697`,
  ),
];

/** Added by `-c quicksight=true`: QuickSight's service role gets endpoint discovery on `*`. */
const QUICKSIGHT_ACKNOWLEDGMENTS: readonly string[] = [
  'QuickSight/ReadCellTable Annotation::AwsSolutions-IAM5[Resource::*]',
];

interface Acknowledgment {
  readonly at: string;
  readonly id: string;
  readonly reason: string;
}

function acknowledgmentsOf(stack: CellStack): Acknowledgment[] {
  return stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          at: construct.node.path.slice(stack.node.id.length + 1),
          id,
          reason,
        })),
      ),
  );
}

describe('AwsSolutionsChecks', () => {
  let stacks: readonly CellStack[];

  beforeAll(() => {
    stacks = synthCells().stacks;
  });

  it('runs on every catalog cell', () => {
    expect(stacks.map((s) => s.cell.name).sort()).toEqual(DEFAULT_CATALOG.map((c) => c.name).sort());
  });

  it('reports no unacknowledged error or warning on any catalog cell', () => {
    for (const stack of stacks) {
      // Act
      const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);

      // Assess: list them, so a failure says what to fix
      const findings = report.violations.map(
        (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );
      expect({ cell: stack.cell.name, findings }).toEqual({ cell: stack.cell.name, findings: [] });
    }
  });

  it('reports a violation once a non-compliant resource is added (the check is live)', () => {
    // Prepare: a fresh cell plus one plain queue (no KMS, no TLS policy, no DLQ)
    const stack = synthCells('us-east-1').stacks[0] as CellStack;
    new sqs.Queue(stack, 'Probe');

    // Act
    const report = new AwsSolutionsChecks(undefined).validateScope(stack);

    // Assess
    const rules = report.violations.map((v) => v.ruleName).sort();
    expect(rules).toEqual(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']);
  });

  it('acknowledges exactly the documented rules, each with a specific written reason', () => {
    for (const stack of stacks) {
      // Act
      const acknowledgments = acknowledgmentsOf(stack);

      // Assess
      expect(acknowledgments.map((a) => `${a.at} ${a.id}`).sort()).toEqual(
        [...EXPECTED_ACKNOWLEDGMENTS].sort(),
      );
      for (const a of acknowledgments) {
        expect(a.reason.length, `${a.at} ${a.id}`).toBeGreaterThan(60);
      }
    }
  });

  it('stays clean with -c quicksight=true, acknowledging only the QuickSight read policy in addition', () => {
    // Prepare
    const app = buildApp(
      {
        ...cdkJsonContext(),
        cells: 'us-east-1',
        quicksight: 'true',
        quicksightPrincipals: 'arn:aws:quicksight:us-east-1:111122223333:user/default/ops',
      },
      { lambdaCode: STUB_LAMBDA_CODE, defaultAccount: '111122223333' },
    );
    const stack = app.node.children.find((c): c is CellStack => c instanceof CellStack);
    if (!stack) throw new Error('no cell stack');

    // Act
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    const acknowledgments = acknowledgmentsOf(stack);

    // Assess
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([]);
    expect(acknowledgments.map((a) => `${a.at} ${a.id}`).sort()).toEqual(
      [...EXPECTED_ACKNOWLEDGMENTS, ...QUICKSIGHT_ACKNOWLEDGMENTS].sort(),
    );
    for (const a of acknowledgments) expect(a.reason.length, `${a.at} ${a.id}`).toBeGreaterThan(60);
  });
});
