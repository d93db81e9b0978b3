import type { Template } from 'aws-cdk-lib/assertions';
import { type CfnResource, logicalIdOf, synthCells, templateJson } from '../cell-fixture.js';

/** The parts of an `AWS::CloudWatch::Alarm`'s properties the alarm tests read. */
export interface AlarmJson {
  readonly AlarmName: string;
  readonly Metrics: {
    readonly Id: string;
    readonly Expression?: string;
    readonly ReturnData?: boolean;
    readonly MetricStat?: {
      readonly Metric: {
        readonly MetricName: string;
        readonly Namespace: string;
        readonly Dimensions: { Name: string; Value: unknown }[];
      };
      readonly Period: number;
      readonly Stat: string;
    };
  }[];
  readonly [key: string]: unknown;
}

/** The us-east-1 cell's template, its alarms by name and its two alert topics' logical ids. */
export interface CellAlarmFixture {
  readonly template: Template;
  readonly alarms: ReadonlyMap<string, AlarmJson>;
  readonly criticalTopic: string;
  readonly warningTopic: string;
}

/** Synthesizes the us-east-1 catalog cell and indexes its alarms by `AlarmName`. */
export function loadCellAlarms(): CellAlarmFixture {
  const template = synthCells('us-east-1').templates.get('us-east-1');
  if (!template) throw new Error('us-east-1 was not synthesized');
  const alarms = new Map(
    Object.values(templateJson(template).Resources)
      .filter((r: CfnResource) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => {
        const props = r.Properties as unknown as AlarmJson;
        return [props.AlarmName, props] as const;
      }),
  );
  return {
    template,
    alarms,
    criticalTopic: logicalIdOf(template, 'AWS::SNS::Topic', 'AlarmsCriticalTopic'),
    warningTopic: logicalIdOf(template, 'AWS::SNS::Topic', 'AlarmsWarningTopic'),
  };
}

/** Logical id of the queue a `QueueName` dimension points at (`Fn::GetAtt [id, QueueName]`). */
export function queueOf(value: unknown): string {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt?.[1] !== 'QueueName') throw new Error(`not a queue name: ${JSON.stringify(value)}`);
  return getAtt[0];
}
