import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveAwsAlarmRules, deriveCellUnhealthy } from '../../cells/alarm-rules.js';
import { buildTopology, CELL_TOPOLOGY, STAGE_SETTINGS, type StageName } from '../../cells/topology.js';
import { renderAlarmMetric } from '../../dashboards/renderers/cloudwatch-metric.js';
import { alarmConstructId, CellAlarms } from '../../stacks/cell-alarms.js';
import {
  type CellMetricResources,
  type StageMetricQueues,
  UnresolvedMetricResourceError,
} from '../../stacks/cloudwatch-signals.js';
import { MONTHLY_REPORT_ALARM_ID } from '../../stacks/monthly-report.js';
import { FAILED_RUNS_ALARM_ID } from '../../stacks/timestream-rollups.js';
import { logicalIdOf, logicalIdsOfType, templateJson } from './cell-fixture.js';
import { type AlarmJson, loadCellAlarms, queueOf } from './support/cell-alarm-fixture.js';

const RULES = deriveAwsAlarmRules(CELL_TOPOLOGY);
const PREFIX = 'InvoiceCell-us-east-1-';

describe('CellAlarms', () => {
  let template: Template;
  let alarms: ReadonlyMap<string, AlarmJson>;
  let criticalTopic: string;
  let warningTopic: string;

  beforeAll(() => {
    ({ template, alarms, criticalTopic, warningTopic } = loadCellAlarms());
  });

  describe('metric alarms', () => {
    it('creates exactly one alarm per rule, named <stack>-<rule id>', () => {
      // ...plus the failed-runs alarm of the rollup scheduled queries (TimestreamRollups) and the
      // monthly report's (MonthlyReport), same prefix
      expect([...alarms.keys()].sort()).toEqual(
        [
          ...RULES.map((r) => `${PREFIX}${r.id}`),
          `${PREFIX}${FAILED_RUNS_ALARM_ID}`,
          `${PREFIX}${MONTHLY_REPORT_ALARM_ID}`,
        ].sort(),
      );
      expect(RULES.filter((r) => r.stage !== undefined)).toHaveLength(
        CELL_TOPOLOGY.stages.length * 5 + CELL_TOPOLOGY.stages.filter((s) => s.slaSec > 0).length,
      );
    });

    it("gives each alarm its rule's threshold, comparison, periods and missing-data treatment", () => {
      for (const rule of RULES) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `${PREFIX}${rule.id}`,
          Threshold: rule.threshold,
          ComparisonOperator:
            rule.comparison === '>' ? 'GreaterThanThreshold' : 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: rule.evaluationPeriods,
          DatapointsToAlarm: rule.evaluationPeriods,
          TreatMissingData: rule.treatMissingData,
          AlarmDescription: Match.stringLikeRegexp(rule.id),
        });
      }
    });

    it('notifies the topic of its severity on ALARM and on OK, and nothing on INSUFFICIENT_DATA', () => {
      for (const rule of RULES) {
        const alarm = alarms.get(`${PREFIX}${rule.id}`);
        const topic = rule.severity === 'critical' ? criticalTopic : warningTopic;
        expect({ rule: rule.id, alarm: alarm?.AlarmActions, ok: alarm?.OKActions }).toEqual({
          rule: rule.id,
          alarm: [{ Ref: topic }],
          ok: [{ Ref: topic }],
        });
        expect(alarm?.InsufficientDataActions).toBeUndefined();
      }
    });

    it('watches the metric (or metric math) the renderer gives for the rule, period and statistic included', () => {
      for (const rule of RULES) {
        // Prepare
        const spec = renderAlarmMetric(rule, CELL_TOPOLOGY);
        const metrics = alarms.get(`${PREFIX}${rule.id}`)?.Metrics ?? [];
        const stats = metrics.filter((m) => m.MetricStat);

        // Assess
        if (spec.kind === 'math') {
          expect(metrics.find((m) => m.ReturnData !== false)?.Expression).toBe(spec.expression);
          expect(stats.map((m) => m.Id).sort()).toEqual(Object.keys(spec.usingMetrics).sort());
        }
        const specs = spec.kind === 'math' ? Object.values(spec.usingMetrics) : [spec];
        expect(
          stats.map((m) => [
            m.MetricStat?.Metric.Namespace,
            m.MetricStat?.Metric.MetricName,
            m.MetricStat?.Stat,
          ]),
        ).toEqual(expect.arrayContaining(specs.map((s) => [s.namespace, s.metricName, s.statistic])));
        for (const m of stats) expect(m.MetricStat?.Period).toBe(rule.periodSec);
      }
    });

    it("reads each stage rule's queue metrics from that stage's queue or DLQ", () => {
      for (const stage of CELL_TOPOLOGY.stages) {
        const c = stage.ids.consumer;
        const expected: Record<string, string> = {
          [`${stage.name}-queue-depth`]: `${c}${stage.ids.queue}`,
          [`${stage.name}-oldest-message-age`]: `${c}${stage.ids.queue}`,
          [`${stage.name}-dlq-not-empty`]: `${c}${stage.ids.dlq}`,
        };
        for (const [ruleId, queuePrefix] of Object.entries(expected)) {
          const dims = alarms.get(`${PREFIX}${ruleId}`)?.Metrics[0]?.MetricStat?.Metric.Dimensions ?? [];
          expect(dims.map((d) => d.Name)).toEqual(['QueueName']);
          expect(queueOf(dims[0]?.Value)).toMatch(new RegExp(`^${queuePrefix}`));
        }
      }
    });

    it('sums every relay DLQ in the relay alarm and reads the bus DLQ and the API in the cell alarms', () => {
      // Act
      const relay = alarms.get(`${PREFIX}relay-dlq-not-empty`)?.Metrics ?? [];
      const bus = alarms.get(`${PREFIX}bus-dlq-not-empty`)?.Metrics ?? [];
      const api = alarms.get(`${PREFIX}api-5xx-rate`)?.Metrics ?? [];

      // Assess
      expect(
        relay.filter((m) => m.MetricStat).map((m) => queueOf(m.MetricStat?.Metric.Dimensions[0]?.Value)),
      ).toEqual(
        CELL_TOPOLOGY.stages.map((s) => expect.stringMatching(new RegExp(`^Routing${s.title}RelayDlq`))),
      );
      expect(queueOf(bus[0]?.MetricStat?.Metric.Dimensions[0]?.Value)).toMatch(/^RoutingBusDlq/);
      const apiDims = api.find((m) => m.MetricStat)?.MetricStat?.Metric.Dimensions ?? [];
      expect(apiDims.map((d) => d.Name).sort()).toEqual(['ApiName', 'Stage']);
    });

    it('reads the StuckInvoices metric the stuck monitor publishes, per stage with an SLA', () => {
      for (const stage of CELL_TOPOLOGY.stages.filter((s) => s.slaSec > 0)) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `${PREFIX}${stage.name}-stuck-invoices`,
          Metrics: [
            Match.objectLike({
              MetricStat: {
                Metric: {
                  Namespace: 'InvoicePlatform',
                  MetricName: 'StuckInvoices',
                  Dimensions: [
                    { Name: 'service', Value: 'invoice-monitor' },
                    { Name: 'stage', Value: stage.name },
                  ],
                },
                Period: 300,
                Stat: 'Maximum',
              },
            }),
          ],
        });
      }
      expect(alarms.has(`${PREFIX}posting-stuck-invoices`)).toBe(false);
    });
  });

  describe('alert topics', () => {
    it('encrypts both topics with the alert key of the cell and enforces TLS', () => {
      const key = logicalIdOf(template, 'AWS::KMS::Key', 'AlarmsKey');
      for (const topic of [criticalTopic, warningTopic]) {
        expect(templateJson(template).Resources[topic]?.Properties?.KmsMasterKeyId).toEqual({
          'Fn::GetAtt': [key, 'Arn'],
        });
        template.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [{ Ref: topic }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it("lets only this cell's CloudWatch alarms use the key and publish to the topics", () => {
      // Prepare
      const conditions = {
        StringEquals: { 'aws:SourceAccount': '111122223333' },
        ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:us-east-1:111122223333:alarm:${PREFIX}*` },
      };

      // Assess: key policy
      template.hasResourceProperties('AWS::KMS::Key', {
        Description: Match.stringLikeRegexp('Alert topics'),
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'AllowThisCellsAlarmsToPublishToEncryptedTopics',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: conditions,
            },
          ]),
        },
      });
      // Assess: topic policies
      for (const topic of [criticalTopic, warningTopic]) {
        template.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [{ Ref: topic }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              {
                Sid: 'AllowThisCellsAlarmsToPublish',
                Effect: 'Allow',
                Principal: { Service: 'cloudwatch.amazonaws.com' },
                Action: 'sns:Publish',
                Resource: { Ref: topic },
                Condition: conditions,
              },
            ]),
          },
        });
      }
    });

    it('retains the topics and their key: subscriptions and encrypted messages outlive the stack', () => {
      const resources = templateJson(template).Resources;
      for (const id of [criticalTopic, warningTopic, logicalIdOf(template, 'AWS::KMS::Key', 'AlarmsKey')]) {
        // Except when the create that made them rolls back (see CellStack's retention test).
        expect([resources[id]?.DeletionPolicy, resources[id]?.UpdateReplacePolicy]).toEqual([
          'RetainExceptOnCreate',
          'Retain',
        ]);
      }
    });
  });

  describe('cell-unhealthy composite', () => {
    it('is in ALARM when any critical alarm is, names no warning alarm, and notifies the critical topic', () => {
      // Prepare
      const composite = deriveCellUnhealthy(RULES);
      const ids = new Map(
        logicalIdsOfType(template, 'AWS::CloudWatch::Alarm').map((id) => [
          String(templateJson(template).Resources[id]?.Properties?.AlarmName),
          id,
        ]),
      );
      const [compositeId] = logicalIdsOfType(template, 'AWS::CloudWatch::CompositeAlarm');
      const props = templateJson(template).Resources[compositeId ?? '']?.Properties ?? {};

      // Act: the alarms the rule expression names, in order
      const named = JSON.stringify(props.AlarmRule)
        .match(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/g)
        ?.map((m) => m.split('"')[3]);

      // Assess
      expect(named).toEqual(composite.ruleIds.map((r) => ids.get(`${PREFIX}${r}`)));
      expect(composite.ruleIds).toEqual(RULES.filter((r) => r.severity === 'critical').map((r) => r.id));
      expect(JSON.stringify(props.AlarmRule)).toMatch(/^\{"Fn::Join":\["",\["\(ALARM\(\\"/);
      expect(JSON.stringify(props.AlarmRule).match(/ OR ALARM/g)).toHaveLength(composite.ruleIds.length - 1);
      expect(props).toMatchObject({
        AlarmName: `${PREFIX}cell-unhealthy`,
        AlarmActions: [{ Ref: criticalTopic }],
        OKActions: [{ Ref: criticalTopic }],
      });
    });
  });

  describe('constructor', () => {
    /** A bare stack with queues for `stages` and the alarms of a topology of `topologyStages`. */
    function buildAlarms(queueStages: readonly StageName[], topologyStages = STAGE_SETTINGS.slice(0, 2)) {
      const stack = new Stack(new App(), 'Bare', { env: { account: '111122223333', region: 'us-east-1' } });
      const queue = (id: string) => new sqs.Queue(stack, id);
      const stages = new Map<StageName, StageMetricQueues>(
        queueStages.map((s) => [
          s,
          {
            queue: queue(`${s}Q`),
            dlq: queue(`${s}D`),
            relayDlq: queue(`${s}R`),
            relayRuleName: `${s}-rule`,
            relayFunctionName: `${s}-relay`,
          },
        ]),
      );
      const resources: CellMetricResources = {
        stages,
        busDlq: queue('Bus'),
        busName: 'bus',
        stuckMonitor: { functionName: 'monitor', dlqName: 'monitor-dlq' },
        api: { apiName: 'Api', stageName: 'v1' },
      };
      new CellAlarms(stack, 'Alarms', { topology: buildTopology({}, topologyStages), resources });
      return Template.fromStack(stack);
    }

    it('follows the topology: a two-stage cell gets the alarms of two stages', () => {
      // Act
      const bare = buildAlarms(['ingestion', 'reconciliation']);

      // Assess: 5 per stage, a stuck alarm for the first (the last has no SLA), 3 cell alarms, 3 dead-letter alarms
      bare.resourceCountIs('AWS::CloudWatch::Alarm', 2 * 5 + 1 + 3 + 3);
      bare.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Bare-ingestion-stuck-invoices' });
      expect(alarmConstructId('posting-dlq-not-empty')).toBe('PostingDlqNotEmpty');
    });

    it('names the stage whose queues the cell did not pass', () => {
      expect(() => buildAlarms(['ingestion'])).toThrow(UnresolvedMetricResourceError);
      expect(() => buildAlarms(['ingestion'])).toThrow('metric names stage reconciliation');
    });
  });
});
