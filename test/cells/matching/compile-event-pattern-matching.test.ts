import { describe, expect, it } from 'vitest';
import { compileEventPattern } from '../../../cells/matching/index.js';
import { EC2_TERMINATED_PATTERN, EC2_TERMINATION_EVENT } from './fixtures/eventbridge-doc-examples.js';
import { eventMatches } from './support/pattern-helpers.js';

describe('compileEventPattern', () => {
  describe('matches', () => {
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
    // (also eb-event-patterns.html): the EC2 example event and the instance-termination pattern.
    describe('the "Creating event patterns" examples', () => {
      it('matches the terminated instance event and ignores fields the pattern does not name', () => {
        expect(eventMatches(EC2_TERMINATED_PATTERN, EC2_TERMINATION_EVENT)).toBe(true);
      });

      it('does not match when one field differs', () => {
        const running = {
          ...EC2_TERMINATION_EVENT,
          detail: { ...EC2_TERMINATION_EVENT.detail, state: 'running' },
        };
        expect(eventMatches(EC2_TERMINATED_PATTERN, running)).toBe(false);
      });

      it('does not match when a named field is missing or nested differently', () => {
        const { detail: _detail, ...withoutDetail } = EC2_TERMINATION_EVENT;
        expect(eventMatches(EC2_TERMINATED_PATTERN, withoutDetail)).toBe(false);
        expect(
          eventMatches(EC2_TERMINATED_PATTERN, { ...EC2_TERMINATION_EVENT, state: 'terminated', detail: {} }),
        ).toBe(false);
      });

      it('treats the values of one field as OR ("aws.ec2" or "aws.fargate")', () => {
        const pattern = { source: ['aws.ec2', 'aws.fargate'] };
        expect(eventMatches(pattern, { source: 'aws.fargate' })).toBe(true);
        expect(eventMatches(pattern, { source: 'aws.ec2' })).toBe(true);
        expect(eventMatches(pattern, { source: 'aws.s3' })).toBe(false);
      });

      it('matches strings character by character without case folding', () => {
        expect(eventMatches({ source: ['aws.ec2'] }, { source: 'AWS.EC2' })).toBe(false);
      });

      it('matches numbers and nested fields (Macie risk-score 80 and trigger risk 8)', () => {
        const pattern = {
          source: ['aws.macie'],
          'detail-type': ['Macie Alert'],
          detail: { 'risk-score': [80], trigger: { risk: [8] } },
        };
        const alert = {
          source: 'aws.macie',
          'detail-type': 'Macie Alert',
          detail: {
            'risk-score': 80,
            tags: ['Custom_Alert', 'Insider'],
            trigger: { 'alert-type': 'basic', risk: 8 },
          },
        };
        expect(eventMatches(pattern, alert)).toBe(true);
        expect(eventMatches(pattern, { ...alert, detail: { ...alert.detail, trigger: { risk: 7 } } })).toBe(
          false,
        );
      });

      it('does not confuse a number with its string spelling', () => {
        expect(eventMatches({ detail: { 'risk-score': [80] } }, { detail: { 'risk-score': '80' } })).toBe(
          false,
        );
        expect(eventMatches({ detail: { 'risk-score': ['80'] } }, { detail: { 'risk-score': 80 } })).toBe(
          false,
        );
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
    describe('the null and empty string examples', () => {
      const autoscaling = {
        version: '0',
        'detail-type': 'EC2 Instance Launch Successful',
        source: 'aws.autoscaling',
        resources: [],
        detail: { eventVersion: '', responseElements: null },
      };

      it('matches an empty string with [""]', () => {
        expect(eventMatches({ detail: { eventVersion: [''] } }, autoscaling)).toBe(true);
      });

      it('matches null with [null]', () => {
        expect(eventMatches({ detail: { responseElements: [null] } }, autoscaling)).toBe(true);
      });

      it('does not treat null and the empty string as interchangeable', () => {
        expect(eventMatches({ detail: { responseElements: [''] } }, autoscaling)).toBe(false);
        expect(eventMatches({ detail: { eventVersion: [null] } }, autoscaling)).toBe(false);
      });

      it('does not match [null] against a missing field', () => {
        expect(eventMatches({ detail: { other: [null] } }, autoscaling)).toBe(false);
      });

      // Same page, field matching example: the full pattern with source and detail-type.
      it('matches the documented responseElements pattern', () => {
        const pattern = {
          source: ['aws.autoscaling'],
          'detail-type': ['EC2 Instance Launch Successful'],
          detail: { responseElements: [null] },
        };
        expect(eventMatches(pattern, autoscaling)).toBe(true);
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
    describe('the arrays example', () => {
      const pattern = {
        resources: [
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
        ],
      };

      it('matches when the pattern array and the event array intersect', () => {
        const event = {
          resources: [
            'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
            'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          ],
        };
        expect(eventMatches(pattern, event)).toBe(true);
      });

      it('does not match when they do not intersect, or the event array is empty', () => {
        expect(
          eventMatches(pattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] }),
        ).toBe(false);
        expect(eventMatches(pattern, { resources: [] })).toBe(false);
      });

      it('applies operators to each element of an event array', () => {
        expect(eventMatches({ tags: [{ prefix: 'env:' }] }, { tags: ['team:a', 'env:prod'] })).toBe(true);
        expect(eventMatches({ n: [{ numeric: ['>', 10] }] }, { n: [1, 2, [30]] })).toBe(true);
      });
    });

    // https://github.com/aws/event-ruler#json-array-matching (README, "JSON Array Matching"):
    // EventBridge matches with rulesForJSONEvent, which needs all fields of a nested pattern to come
    // from the same element of an event array.
    describe('arrays of objects (event-ruler array consistency)', () => {
      const employees = {
        employees: [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
          { firstName: 'Peter', lastName: 'Jones' },
        ],
      };

      it('crushes the array out of the pattern: a field of any element matches', () => {
        expect(eventMatches({ employees: { firstName: ['Anna'] } }, employees)).toBe(true);
      });

      it('works for multi-level arrays too', () => {
        const nested = {
          employees: [[employees.employees[0], employees.employees[1]], [employees.employees[2]]],
        };
        expect(eventMatches({ employees: { firstName: ['Peter'] } }, nested)).toBe(true);
      });

      it('does not combine fields from different elements (Anna Jones is nobody)', () => {
        expect(eventMatches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees)).toBe(
          false,
        );
        expect(eventMatches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, employees)).toBe(
          true,
        );
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    describe('the content filtering examples: complex and $or', () => {
      it('matches the complex example combining prefix, anything-but and numeric', () => {
        const pattern = {
          time: [{ prefix: '2017-10-02' }],
          detail: {
            state: [{ 'anything-but': 'initializing' }],
            'c-count': [{ numeric: ['>', 0, '<=', 5] }],
            'd-count': [{ numeric: ['<', 10] }],
            'x-limit': [{ 'anything-but': [100, 200, 300] }],
          },
        };
        const event = {
          time: '2017-10-02T16:24:49Z',
          detail: { state: 'running', 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 },
        };
        expect(eventMatches(pattern, event)).toBe(true);
        expect(eventMatches(pattern, { ...event, detail: { ...event.detail, state: 'initializing' } })).toBe(
          false,
        );
        expect(eventMatches(pattern, { ...event, detail: { ...event.detail, 'x-limit': 300 } })).toBe(false);
      });

      it('matches the $or example when any one numeric branch holds', () => {
        const pattern = {
          detail: {
            $or: [
              { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
              { 'd-count': [{ numeric: ['<', 10] }] },
              { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
            ],
          },
        };
        expect(eventMatches(pattern, { detail: { 'c-count': 3 } })).toBe(true);
        expect(eventMatches(pattern, { detail: { 'd-count': 9 } })).toBe(true);
        expect(eventMatches(pattern, { detail: { 'x-limit': 301.8 } })).toBe(true);
        expect(eventMatches(pattern, { detail: { 'c-count': 9, 'd-count': 10, 'x-limit': 1 } })).toBe(false);
      });
    });

    // https://github.com/aws/event-ruler#the-or-primitive (README examples the EventBridge guide
    // points to for nested $or).
    describe('the event-ruler $or examples', () => {
      it('ANDs a field with an $or that has an AND inside', () => {
        const pattern = {
          source: ['aws.cloudwatch'],
          $or: [
            { metricName: ['CPUUtilization', 'ReadLatency'] },
            { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'] },
            { scope: ['Service'] },
          ],
        };
        expect(
          eventMatches(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES' }),
        ).toBe(true);
        expect(eventMatches(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType' })).toBe(false);
        expect(eventMatches(pattern, { source: 'aws.ec2', scope: 'Service' })).toBe(false);
      });

      it('evaluates parallel and nested $or', () => {
        const pattern = {
          $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
          detail: {
            $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }],
          },
        };
        expect(eventMatches(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.cloudwatch' } })).toBe(
          true,
        );
        expect(eventMatches(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.ec2' } })).toBe(false);

        const nested = {
          source: ['aws.cloudwatch'],
          $or: [
            { metricName: ['CPUUtilization'] },
            { metricType: ['MetricType'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
          ],
        };
        expect(
          eventMatches(nested, { source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 1000 }),
        ).toBe(true);
        expect(eventMatches(nested, { source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 1 })).toBe(
          false,
        );
      });
    });

    describe('event shapes', () => {
      it('never matches a non-object event', () => {
        const rule = compileEventPattern({ a: [{ exists: false }] });
        expect(rule.matches(null)).toBe(false);
        expect(rule.matches('{"b": 1}')).toBe(false);
        expect(rule.matches([{ b: 1 }])).toBe(false);
      });

      it('ignores inherited properties such as __proto__', () => {
        const pattern = JSON.parse('{"__proto__": [{"exists": true}]}') as unknown;
        expect(eventMatches(pattern, {})).toBe(false);
        expect(eventMatches(pattern, JSON.parse('{"__proto__": 1}'))).toBe(true);
      });

      it('does not throw on pathologically nested event arrays', () => {
        let deep: unknown = 'x';
        for (let i = 0; i < 100_000; i++) deep = [deep];
        expect(eventMatches({ a: ['x'] }, { a: deep })).toBe(true);
        expect(eventMatches({ a: { b: ['x'] } }, { a: deep })).toBe(false);
      });

      it('can be reused for many events', () => {
        const rule = compileEventPattern({ detail: { stage: ['issued', 'paid'] } });
        const stages = ['issued', 'paid', 'void', 'issued'];
        expect(stages.map((stage) => rule.matches({ detail: { stage } }))).toEqual([true, true, false, true]);
      });
    });
  });
});
