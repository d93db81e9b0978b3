import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELL_TOPOLOGY } from '../../cells/topology.js';
import { DASHBOARDS } from '../../dashboards/panels/panels.js';
import { cloudWatchPanels } from '../../stacks/cell-dashboard.js';
import { CELL_OUTPUT_IDS } from '../../stacks/cell-outputs.js';
import { logicalIdOf, logicalIdsOfType, synthCells, templateJson } from './cell-fixture.js';

/**
 * The dashboard body is one `Fn::Join` of JSON text and references; joining the parts with the
 * referenced logical ids gives a string to search.
 */
function bodyText(template: Template): string {
  const [id] = logicalIdsOfType(template, 'AWS::CloudWatch::Dashboard');
  const body = templateJson(template).Resources[id ?? '']?.Properties?.DashboardBody as {
    'Fn::Join': [string, unknown[]];
  };
  return body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      return `<${ref.Ref ?? ref['Fn::GetAtt']?.join('.') ?? JSON.stringify(part)}>`;
    })
    .join('');
}

describe('CellDashboard', () => {
  let template: Template;
  let body: string;

  beforeAll(() => {
    const found = synthCells('us-east-2').templates.get('us-east-2');
    if (!found) throw new Error('us-east-2 was not synthesized');
    template = found;
    body = bodyText(template);
  });

  describe('cloudWatchPanels', () => {
    it('draws every operations panel CloudWatch holds, one series per stage, and leaves store queries out', () => {
      // Act
      const panels = cloudWatchPanels(DASHBOARDS, CELL_TOPOLOGY);

      // Assess
      expect(panels.map((p) => p.panel.id)).toEqual([
        'ops-throughput',
        'ops-latency-p50',
        'ops-latency-p95',
        'ops-latency-p99',
        'ops-queue-depth',
        'ops-in-flight',
        'ops-oldest-message',
        'ops-dlq-depth',
        'ops-processing-failures',
        'ops-relay-failures',
        'ops-api-errors',
      ]);
      for (const p of panels) expect(p.specs).toHaveLength(CELL_TOPOLOGY.stages.length);
    });
  });

  describe('dashboard', () => {
    it('is one dashboard per cell, published as an output', () => {
      template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      expect(templateJson(template).Outputs?.[CELL_OUTPUT_IDS.dashboardName]?.Value).toEqual({
        Ref: logicalIdsOfType(template, 'AWS::CloudWatch::Dashboard')[0],
      });
    });

    it("shows each stage's queue depth, in flight, oldest message age and DLQ depth from that stage's queues", () => {
      for (const stage of CELL_TOPOLOGY.stages) {
        const c = stage.ids.consumer;
        const queue = logicalIdOf(template, 'AWS::SQS::Queue', `${c}${stage.ids.queue}`);
        const dlq = logicalIdOf(template, 'AWS::SQS::Queue', `${c}${stage.ids.dlq}`);
        for (const metric of [
          'ApproximateNumberOfMessagesVisible',
          'ApproximateNumberOfMessagesNotVisible',
        ]) {
          expect(body).toContain(`"${metric}","QueueName","<${queue}.QueueName>"`);
        }
        expect(body).toContain(`"ApproximateAgeOfOldestMessage","QueueName","<${queue}.QueueName>"`);
        expect(body).toContain(`"ApproximateNumberOfMessagesVisible","QueueName","<${dlq}.QueueName>"`);
      }
    });

    it('shows per-stage throughput, latency, failures, relay failures and stuck invoices', () => {
      for (const stage of CELL_TOPOLOGY.stages) {
        for (const metric of ['EventsProcessed', 'IngestToStoreLatency', 'ProcessingFailures']) {
          expect(body).toContain(`"${metric}","service","invoice-processor","stage","${stage.name}"`);
        }
        expect(body).toContain(`"RelayFailures","service","invoice-relay","stage","${stage.name}"`);
        if (stage.slaSec > 0) {
          expect(body).toContain(`"StuckInvoices","service","invoice-monitor","stage","${stage.name}"`);
        }
      }
      for (const p of ['p50', 'p95', 'p99']) expect(body).toContain(`"stat":"${p}"`);
    });

    it('shows the API requests, 4xx, 5xx and latency, and the relay and bus DLQs', () => {
      // Prepare: the API's name and its one deployed stage are the ApiName and Stage dimensions
      const [apiId] = logicalIdsOfType(template, 'AWS::ApiGateway::RestApi');
      const [stageId] = logicalIdsOfType(template, 'AWS::ApiGateway::Stage');
      const apiName = templateJson(template).Resources[apiId ?? '']?.Properties?.Name as string;

      // Assess
      for (const metric of ['Count', '4XXError', '5XXError', 'Latency', 'IntegrationLatency']) {
        expect(body).toContain(`"AWS/ApiGateway","${metric}","ApiName","${apiName}","Stage","<${stageId}>"`);
      }
      for (const stage of CELL_TOPOLOGY.stages) {
        expect(body).toContain(
          `"5XXError","ApiName","${apiName}","Method","POST","Resource","${stage.routePath}","Stage","<${stageId}>"`,
        );
      }
      for (const stage of CELL_TOPOLOGY.stages) {
        const relayDlq = logicalIdOf(template, 'AWS::SQS::Queue', `Routing${stage.title}RelayDlq`);
        expect(body).toContain(`<${relayDlq}.QueueName>`);
      }
      expect(body).toContain(`<${logicalIdOf(template, 'AWS::SQS::Queue', 'RoutingBusDlq')}.QueueName>`);
    });

    it('shows the state of every alarm of the cell, the composite included', () => {
      const alarmIds = [
        ...logicalIdsOfType(template, 'AWS::CloudWatch::Alarm'),
        ...logicalIdsOfType(template, 'AWS::CloudWatch::CompositeAlarm'),
      ];
      expect(body).toContain('"type":"alarm"');
      for (const id of alarmIds) expect(body).toContain(`<${id}.Arn>`);
    });
  });
});
