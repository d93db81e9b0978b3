import { describe, expect, it } from 'vitest';
import { compileEventPattern } from '../../../cells/matching/index.js';
import { EC2_TERMINATED_PATTERN, EC2_TERMINATION_EVENT } from './fixtures/eventbridge-doc-examples.js';

/** Prepare/Act/Assess in one line per case: compile once, then ask about one event. */
function matches(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern).matches(event);
}

describe('compileEventPattern', () => {
  describe('matches', () => {
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
    // (also eb-event-patterns.html): the EC2 example event and the instance-termination pattern.
    describe('the "Creating event patterns" examples', () => {
      it('matches the terminated instance event and ignores fields the pattern does not name', () => {
        expect(matches(EC2_TERMINATED_PATTERN, EC2_TERMINATION_EVENT)).toBe(true);
      });

      it('does not match when one field differs', () => {
        const running = {
          ...EC2_TERMINATION_EVENT,
          detail: { ...EC2_TERMINATION_EVENT.detail, state: 'running' },
        };
        expect(matches(EC2_TERMINATED_PATTERN, running)).toBe(false);
      });

      it('does not match when a named field is missing or nested differently', () => {
        const { detail: _detail, ...withoutDetail } = EC2_TERMINATION_EVENT;
        expect(matches(EC2_TERMINATED_PATTERN, withoutDetail)).toBe(false);
        expect(
          matches(EC2_TERMINATED_PATTERN, { ...EC2_TERMINATION_EVENT, state: 'terminated', detail: {} }),
        ).toBe(false);
      });

      it('treats the values of one field as OR ("aws.ec2" or "aws.fargate")', () => {
        const pattern = { source: ['aws.ec2', 'aws.fargate'] };
        expect(matches(pattern, { source: 'aws.fargate' })).toBe(true);
        expect(matches(pattern, { source: 'aws.ec2' })).toBe(true);
        expect(matches(pattern, { source: 'aws.s3' })).toBe(false);
      });

      it('matches strings character by character without case folding', () => {
        expect(matches({ source: ['aws.ec2'] }, { source: 'AWS.EC2' })).toBe(false);
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
        expect(matches(pattern, alert)).toBe(true);
        expect(matches(pattern, { ...alert, detail: { ...alert.detail, trigger: { risk: 7 } } })).toBe(false);
      });

      it('does not confuse a number with its string spelling', () => {
        expect(matches({ detail: { 'risk-score': [80] } }, { detail: { 'risk-score': '80' } })).toBe(false);
        expect(matches({ detail: { 'risk-score': ['80'] } }, { detail: { 'risk-score': 80 } })).toBe(false);
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
        expect(matches({ detail: { eventVersion: [''] } }, autoscaling)).toBe(true);
      });

      it('matches null with [null]', () => {
        expect(matches({ detail: { responseElements: [null] } }, autoscaling)).toBe(true);
      });

      it('does not treat null and the empty string as interchangeable', () => {
        expect(matches({ detail: { responseElements: [''] } }, autoscaling)).toBe(false);
        expect(matches({ detail: { eventVersion: [null] } }, autoscaling)).toBe(false);
      });

      it('does not match [null] against a missing field', () => {
        expect(matches({ detail: { other: [null] } }, autoscaling)).toBe(false);
      });

      // Same page, field matching example: the full pattern with source and detail-type.
      it('matches the documented responseElements pattern', () => {
        const pattern = {
          source: ['aws.autoscaling'],
          'detail-type': ['EC2 Instance Launch Successful'],
          detail: { responseElements: [null] },
        };
        expect(matches(pattern, autoscaling)).toBe(true);
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
        expect(matches(pattern, event)).toBe(true);
      });

      it('does not match when they do not intersect, or the event array is empty', () => {
        expect(
          matches(pattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] }),
        ).toBe(false);
        expect(matches(pattern, { resources: [] })).toBe(false);
      });

      it('applies operators to each element of an event array', () => {
        expect(matches({ tags: [{ prefix: 'env:' }] }, { tags: ['team:a', 'env:prod'] })).toBe(true);
        expect(matches({ n: [{ numeric: ['>', 10] }] }, { n: [1, 2, [30]] })).toBe(true);
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
        expect(matches({ employees: { firstName: ['Anna'] } }, employees)).toBe(true);
      });

      it('works for multi-level arrays too', () => {
        const nested = {
          employees: [[employees.employees[0], employees.employees[1]], [employees.employees[2]]],
        };
        expect(matches({ employees: { firstName: ['Peter'] } }, nested)).toBe(true);
      });

      it('does not combine fields from different elements (Anna Jones is nobody)', () => {
        expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees)).toBe(false);
        expect(matches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, employees)).toBe(true);
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    describe('the content filtering examples: prefix and suffix', () => {
      it('matches a prefix of the time field', () => {
        const pattern = { time: [{ prefix: '2017-10-02' }] };
        expect(matches(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
        expect(matches(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
      });

      it('matches a prefix regardless of case with equals-ignore-case', () => {
        const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
        for (const service of ['EventBridge', 'EVENTBRIDGE', 'eventbridge', 'eVeNtB']) {
          expect(matches(pattern, { detail: { service } })).toBe(true);
        }
        expect(matches(pattern, { detail: { service: 'Event' } })).toBe(false);
      });

      it('matches a suffix (FileName ends with .png)', () => {
        const pattern = { FileName: [{ suffix: '.png' }] };
        expect(matches(pattern, { FileName: 'photo.png' })).toBe(true);
        expect(matches(pattern, { FileName: 'photo.PNG' })).toBe(false);
        expect(matches(pattern, { FileName: 'photo.jpg' })).toBe(false);
      });

      it('matches a suffix regardless of case with equals-ignore-case', () => {
        const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
        expect(matches(pattern, { detail: { FileName: 'photo.PNG' } })).toBe(true);
        expect(matches(pattern, { detail: { FileName: 'photo.png' } })).toBe(true);
        expect(matches(pattern, { detail: { FileName: 'photo.gif' } })).toBe(false);
      });

      it('only applies prefix and suffix to strings', () => {
        expect(matches({ code: [{ prefix: '12' }] }, { code: 123 })).toBe(false);
        expect(matches({ code: [{ suffix: '3' }] }, { code: 123 })).toBe(false);
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    describe('the content filtering examples: anything-but', () => {
      it('matches anything but one string', () => {
        const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };
        expect(matches(pattern, { detail: { state: 'running' } })).toBe(true);
        expect(matches(pattern, { detail: { state: 'initializing' } })).toBe(false);
      });

      it('matches anything but one number', () => {
        const pattern = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
        expect(matches(pattern, { detail: { 'x-limit': 124 } })).toBe(true);
        expect(matches(pattern, { detail: { 'x-limit': 123 } })).toBe(false);
      });

      it('matches anything but a list of strings', () => {
        const pattern = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
        expect(matches(pattern, { detail: { state: 'running' } })).toBe(true);
        expect(matches(pattern, { detail: { state: 'stopped' } })).toBe(false);
        expect(matches(pattern, { detail: { state: 'overloaded' } })).toBe(false);
      });

      it('matches anything but a list of numbers', () => {
        const pattern = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
        expect(matches(pattern, { detail: { 'x-limit': 150 } })).toBe(true);
        expect(matches(pattern, { detail: { 'x-limit': 200 } })).toBe(false);
      });

      it('matches anything but a prefix ("init")', () => {
        const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
        expect(matches(pattern, { detail: { state: 'running' } })).toBe(true);
        expect(matches(pattern, { detail: { state: 'initializing' } })).toBe(false);
      });

      it('does not match a missing field (anything-but needs a value)', () => {
        expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: {} })).toBe(
          false,
        );
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
    // (the comparison operators table; each row's rule syntax with events that do and do not match)
    describe('the comparison operators table', () => {
      it('And: Location is "New York" and Day is "Monday"', () => {
        const pattern = { Location: ['New York'], Day: ['Monday'] };
        expect(matches(pattern, { Location: 'New York', Day: 'Monday' })).toBe(true);
        expect(matches(pattern, { Location: 'New York', Day: 'Tuesday' })).toBe(false);
      });

      it('Anything-but (begins with): Region is not in the US', () => {
        const pattern = { Region: [{ 'anything-but': { prefix: 'us-' } }] };
        expect(matches(pattern, { Region: 'eu-west-1' })).toBe(true);
        expect(matches(pattern, { Region: 'us-east-1' })).toBe(false);
      });

      it('Anything-but (ends with): FileName does not end with .png', () => {
        const pattern = { FileName: [{ 'anything-but': { suffix: '.png' } }] };
        expect(matches(pattern, { FileName: 'a.jpg' })).toBe(true);
        expect(matches(pattern, { FileName: 'a.png' })).toBe(false);
      });

      it('Anything-but (ignore case): state is not "initializing" in any casing', () => {
        const pattern = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
        expect(matches(pattern, { state: 'running' })).toBe(true);
        expect(matches(pattern, { state: 'INITIALIZING' })).toBe(false);
        expect(matches(pattern, { state: 'Initializing' })).toBe(false);
      });

      it('Anything-but using a wildcard: FilePath does not include /lib/', () => {
        const pattern = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
        expect(matches(pattern, { FilePath: '/usr/bin/node' })).toBe(true);
        expect(matches(pattern, { FilePath: '/usr/lib/node' })).toBe(false);
      });

      it('Begins with: Region is in the US', () => {
        const pattern = { Region: [{ prefix: 'us-' }] };
        expect(matches(pattern, { Region: 'us-east-1' })).toBe(true);
        expect(matches(pattern, { Region: 'eu-west-1' })).toBe(false);
      });

      it('Begins with (ignore case): service starts with "eventb"', () => {
        const pattern = { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] };
        expect(matches(pattern, { service: 'EventBridge' })).toBe(true);
        expect(matches(pattern, { service: 'Lambda' })).toBe(false);
      });

      it('Empty: LastName is empty', () => {
        const pattern = { LastName: [''] };
        expect(matches(pattern, { LastName: '' })).toBe(true);
        expect(matches(pattern, { LastName: 'Doe' })).toBe(false);
      });

      it('Equals: Name is "Alice"', () => {
        expect(matches({ Name: ['Alice'] }, { Name: 'Alice' })).toBe(true);
        expect(matches({ Name: ['Alice'] }, { Name: 'alice' })).toBe(false);
      });

      it('Equals (ignore case): Name is "Alice" in any casing', () => {
        const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };
        expect(matches(pattern, { Name: 'ALICE' })).toBe(true);
        expect(matches(pattern, { Name: 'Alice' })).toBe(true);
        expect(matches(pattern, { Name: 'Alicia' })).toBe(false);
      });

      it('Ends with (ignore case): service ends with "tbridge" in any casing', () => {
        const pattern = { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] };
        expect(matches(pattern, { service: 'EVENTBRIDGE' })).toBe(true);
        expect(matches(pattern, { service: 'EventBus' })).toBe(false);
      });

      it('Exists: ProductName exists', () => {
        const pattern = { ProductName: [{ exists: true }] };
        expect(matches(pattern, { ProductName: 'Widget' })).toBe(true);
        expect(matches(pattern, { Price: 3 })).toBe(false);
      });

      it('Does not exist: ProductName does not exist', () => {
        const pattern = { ProductName: [{ exists: false }] };
        expect(matches(pattern, { Price: 3 })).toBe(true);
        expect(matches(pattern, { ProductName: 'Widget' })).toBe(false);
      });

      it('Not: Weather is anything but "Raining"', () => {
        const pattern = { Weather: [{ 'anything-but': ['Raining'] }] };
        expect(matches(pattern, { Weather: 'Sunny' })).toBe(true);
        expect(matches(pattern, { Weather: 'Raining' })).toBe(false);
      });

      it('Null: UserID is null', () => {
        expect(matches({ UserID: [null] }, { UserID: null })).toBe(true);
        expect(matches({ UserID: [null] }, { UserID: 'u-1' })).toBe(false);
      });

      it('Numeric (equals): Price is 100', () => {
        const pattern = { Price: [{ numeric: ['=', 100] }] };
        expect(matches(pattern, { Price: 100 })).toBe(true);
        expect(matches(pattern, { Price: 100.5 })).toBe(false);
      });

      it('Numeric (range): Price is more than 10 and at most 20', () => {
        const pattern = { Price: [{ numeric: ['>', 10, '<=', 20] }] };
        expect(matches(pattern, { Price: 20 })).toBe(true);
        expect(matches(pattern, { Price: 10 })).toBe(false);
        expect(matches(pattern, { Price: 20.000001 })).toBe(false);
      });

      it('Or: PaymentType is "Credit" or "Debit"', () => {
        const pattern = { PaymentType: ['Credit', 'Debit'] };
        expect(matches(pattern, { PaymentType: 'Debit' })).toBe(true);
        expect(matches(pattern, { PaymentType: 'Cash' })).toBe(false);
      });

      it('Or (multiple fields): Location is "New York" or Day is "Monday"', () => {
        const pattern = { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };
        expect(matches(pattern, { Location: 'New York', Day: 'Sunday' })).toBe(true);
        expect(matches(pattern, { Location: 'Paris', Day: 'Monday' })).toBe(true);
        expect(matches(pattern, { Location: 'Paris', Day: 'Sunday' })).toBe(false);
      });

      it('Wildcard: FileName matches dir/*.png', () => {
        const pattern = { FileName: [{ wildcard: 'dir/*.png' }] };
        expect(matches(pattern, { FileName: 'dir/a.png' })).toBe(true);
        expect(matches(pattern, { FileName: 'dir/sub/a.png' })).toBe(true);
        expect(matches(pattern, { FileName: 'other/a.png' })).toBe(false);
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    describe('the content filtering examples: numeric', () => {
      const pattern = {
        detail: {
          'c-count': [{ numeric: ['>', 0, '<=', 5] }],
          'd-count': [{ numeric: ['<', 10] }],
          'x-limit': [{ numeric: ['=', 3.018e2] }],
        },
      };

      it('matches when every numeric field is in range', () => {
        expect(matches(pattern, { detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 } })).toBe(true);
      });

      it('does not match when one field is out of range', () => {
        expect(matches(pattern, { detail: { 'c-count': 0, 'd-count': 3, 'x-limit': 301.8 } })).toBe(false);
        expect(matches(pattern, { detail: { 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 } })).toBe(false);
        expect(matches(pattern, { detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.9 } })).toBe(false);
      });

      it('only compares JSON numbers, never numeric-looking strings', () => {
        expect(matches(pattern, { detail: { 'c-count': '5', 'd-count': 3, 'x-limit': 301.8 } })).toBe(false);
      });

      // Assumption (event-ruler ComparableNumber): event numbers beyond ±5e9 cannot be compared.
      it('does not compare event numbers beyond ±5e9', () => {
        expect(matches({ n: [{ numeric: ['>', 0] }] }, { n: 6e9 })).toBe(false);
        expect(matches({ n: [{ numeric: ['<', 0] }] }, { n: -6e9 })).toBe(false);
      });

      it('treats 300, 300.0 and 3e2 as the same number once parsed', () => {
        const parsed = JSON.parse('{"a": 300.0, "b": 3e2}') as unknown;
        expect(matches({ a: [300], b: [{ numeric: ['=', 300] }] }, parsed)).toBe(true);
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    describe('the content filtering examples: IP address', () => {
      it('matches IPv4 addresses in 10.0.0.0/24', () => {
        const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
        expect(matches(pattern, { detail: { sourceIPAddress: '10.0.0.0' } })).toBe(true);
        expect(matches(pattern, { detail: { sourceIPAddress: '10.0.0.255' } })).toBe(true);
        expect(matches(pattern, { detail: { sourceIPAddress: '10.0.1.0' } })).toBe(false);
        expect(matches(pattern, { detail: { sourceIPAddress: 'not-an-ip' } })).toBe(false);
      });

      it('matches IPv6 addresses ("You can use IP address matching for IPv4 and IPv6")', () => {
        const pattern = { ip: [{ cidr: '2001:db8::/32' }] };
        expect(matches(pattern, { ip: '2001:db8::1' })).toBe(true);
        expect(matches(pattern, { ip: '2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff' })).toBe(true);
        expect(matches(pattern, { ip: '2001:db9::1' })).toBe(false);
        expect(matches(pattern, { ip: '10.0.0.1' })).toBe(false);
      });

      it('honours masks that do not end on a byte boundary', () => {
        const v4 = { ip: [{ cidr: '10.0.0.0/30' }] };
        expect(matches(v4, { ip: '10.0.0.3' })).toBe(true);
        expect(matches(v4, { ip: '10.0.0.4' })).toBe(false);
        const v6 = { ip: [{ cidr: 'fe80::/10' }] };
        expect(matches(v6, { ip: 'febf::1' })).toBe(true);
        expect(matches(v6, { ip: 'fec0::1' })).toBe(false);
      });

      // aws/event-ruler CIDR.java: the range runs from the address as written to that address with
      // the host bits set; it does not round the start down to the network address.
      it('starts the range at the written address, as event-ruler does', () => {
        const pattern = { ip: [{ cidr: '10.0.0.5/24' }] };
        expect(matches(pattern, { ip: '10.0.0.200' })).toBe(true);
        expect(matches(pattern, { ip: '10.0.0.4' })).toBe(false);
      });

      it('reads IPv6 in full, compressed and IPv4-mapped spellings', () => {
        expect(matches({ ip: [{ cidr: '::/1' }] }, { ip: '0:0:0:0:0:0:0:1' })).toBe(true);
        expect(matches({ ip: [{ cidr: '::/1' }] }, { ip: '::' })).toBe(true);
        expect(matches({ ip: [{ cidr: '::/1' }] }, { ip: '1::2::3' })).toBe(false);
        // Java's InetAddress (used by event-ruler) reads ::ffff:a.b.c.d as the IPv4 address a.b.c.d.
        expect(matches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '::ffff:10.1.2.3' })).toBe(true);
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    describe('the content filtering examples: exists', () => {
      const pattern = { detail: { 'c-count': [{ exists: false }] } };

      it('matches an event without detail.c-count', () => {
        const event = {
          'detail-type': ['EC2 Instance State-change Notification'],
          resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
          detail: { state: ['initializing', 'running'] },
        };
        expect(matches(pattern, event)).toBe(true);
      });

      it('also matches when c-count is not a leaf node', () => {
        const event = { detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } };
        expect(matches(pattern, event)).toBe(true);
      });

      it('does not match when c-count is a leaf value', () => {
        expect(matches(pattern, { detail: { 'c-count': 3 } })).toBe(false);
      });

      it('exists: true does not see intermediate nodes either', () => {
        expect(
          matches({ detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': { c1: 100 } } }),
        ).toBe(false);
      });

      // "The value of the field is not considered when evaluating a match": null is a value.
      it('counts a null value as existing', () => {
        expect(matches({ a: [{ exists: true }] }, { a: null })).toBe(true);
        expect(matches({ a: [{ exists: false }] }, { a: null })).toBe(false);
      });

      // Assumption (event-ruler flattens events to leaf values): an empty array has no leaf value,
      // so the field does not exist; a non-empty array does.
      it('treats an empty array as absent and a non-empty one as present', () => {
        expect(matches({ a: [{ exists: true }] }, { a: [] })).toBe(false);
        expect(matches({ a: [{ exists: false }] }, { a: [] })).toBe(true);
        expect(matches({ a: [{ exists: true }] }, { a: ['x'] })).toBe(true);
      });

      // Assumption (event-ruler checks absence across the whole array when nothing else pins an
      // element): exists false over an array of objects needs the field missing from every element.
      it('needs the field missing from every element of an array of objects', () => {
        const absent = { items: { discount: [{ exists: false }] } };
        expect(matches(absent, { items: [{ sku: 'a' }, { sku: 'b' }] })).toBe(true);
        expect(matches(absent, { items: [{ sku: 'a' }, { sku: 'b', discount: 5 }] })).toBe(false);
      });

      it('checks absence within the element that the other fields pinned', () => {
        const pattern2 = { items: { sku: ['b'], discount: [{ exists: false }] } };
        expect(matches(pattern2, { items: [{ sku: 'a', discount: 5 }, { sku: 'b' }] })).toBe(true);
        expect(matches(pattern2, { items: [{ sku: 'a' }, { sku: 'b', discount: 5 }] })).toBe(false);
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
        expect(matches(pattern, event)).toBe(true);
        expect(matches(pattern, { ...event, detail: { ...event.detail, state: 'initializing' } })).toBe(
          false,
        );
        expect(matches(pattern, { ...event, detail: { ...event.detail, 'x-limit': 300 } })).toBe(false);
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
        expect(matches(pattern, { detail: { 'c-count': 3 } })).toBe(true);
        expect(matches(pattern, { detail: { 'd-count': 9 } })).toBe(true);
        expect(matches(pattern, { detail: { 'x-limit': 301.8 } })).toBe(true);
        expect(matches(pattern, { detail: { 'c-count': 9, 'd-count': 10, 'x-limit': 1 } })).toBe(false);
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
          matches(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES' }),
        ).toBe(true);
        expect(matches(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType' })).toBe(false);
        expect(matches(pattern, { source: 'aws.ec2', scope: 'Service' })).toBe(false);
      });

      it('evaluates parallel and nested $or', () => {
        const pattern = {
          $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
          detail: {
            $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }],
          },
        };
        expect(matches(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.cloudwatch' } })).toBe(true);
        expect(matches(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.ec2' } })).toBe(false);

        const nested = {
          source: ['aws.cloudwatch'],
          $or: [
            { metricName: ['CPUUtilization'] },
            { metricType: ['MetricType'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
          ],
        };
        expect(matches(nested, { source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 1000 })).toBe(
          true,
        );
        expect(matches(nested, { source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 1 })).toBe(
          false,
        );
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    // ("Wildcard matching") and aws/event-ruler WildcardParser for escapes.
    describe('wildcard', () => {
      it('matches the EventBusArn example', () => {
        const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
        expect(
          matches(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' }),
        ).toBe(true);
        expect(
          matches(pattern, { EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/default' }),
        ).toBe(false);
      });

      it('lets * match nothing, and anchors both ends', () => {
        const pattern = { k: [{ wildcard: 'a*b*c' }] };
        expect(matches(pattern, { k: 'abc' })).toBe(true);
        expect(matches(pattern, { k: 'aXXbYYc' })).toBe(true);
        expect(matches(pattern, { k: 'abcd' })).toBe(false);
        expect(matches(pattern, { k: 'ab' })).toBe(false);
      });

      it('reads \\* as a literal asterisk and \\\\ as a literal backslash', () => {
        expect(matches({ k: [{ wildcard: 'a\\*b' }] }, { k: 'a*b' })).toBe(true);
        expect(matches({ k: [{ wildcard: 'a\\*b' }] }, { k: 'aXb' })).toBe(false);
        expect(matches({ k: [{ wildcard: 'a\\\\b' }] }, { k: 'a\\b' })).toBe(true);
        expect(matches({ k: [{ wildcard: '\\**' }] }, { k: '*anything' })).toBe(true);
      });

      it('treats regular expression characters literally', () => {
        expect(matches({ k: [{ wildcard: 'a.(b)+*' }] }, { k: 'a.(b)+x' })).toBe(true);
        expect(matches({ k: [{ wildcard: 'a.(b)+*' }] }, { k: 'aX(b)+x' })).toBe(false);
      });

      it('only matches strings', () => {
        expect(matches({ k: [{ wildcard: '1*' }] }, { k: 12 })).toBe(false);
      });
    });

    // Assumption (event-ruler compares the JSON text of values): anything-but with strings is a
    // byte-level "not equal", so numbers, booleans and null are never one of the excluded strings;
    // anything-but with numbers only applies to JSON numbers.
    describe('anything-but across JSON types (assumption)', () => {
      it('lets a string anything-but match numbers, booleans and null', () => {
        const pattern = { k: [{ 'anything-but': 'x' }] };
        expect(matches(pattern, { k: 5 })).toBe(true);
        expect(matches(pattern, { k: true })).toBe(true);
        expect(matches(pattern, { k: null })).toBe(true);
      });

      it('does not let a numeric anything-but match strings', () => {
        expect(matches({ k: [{ 'anything-but': [100] }] }, { k: '5' })).toBe(false);
      });

      it('matches an event array if any element is not excluded (intersection semantics)', () => {
        const pattern = { k: [{ 'anything-but': ['rugby', 'tennis'] }] };
        expect(matches(pattern, { k: ['rugby', 'baseball'] })).toBe(true);
        expect(matches(pattern, { k: ['rugby', 'tennis'] })).toBe(false);
      });

      it('accepts lists inside anything-but operators (event-ruler)', () => {
        const pattern = { k: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] };
        expect(matches(pattern, { k: 'ap-south-1' })).toBe(true);
        expect(matches(pattern, { k: 'eu-west-1' })).toBe(false);
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
        expect(matches(pattern, {})).toBe(false);
        expect(matches(pattern, JSON.parse('{"__proto__": 1}'))).toBe(true);
      });

      it('does not throw on pathologically nested event arrays', () => {
        let deep: unknown = 'x';
        for (let i = 0; i < 100_000; i++) deep = [deep];
        expect(matches({ a: ['x'] }, { a: deep })).toBe(true);
        expect(matches({ a: { b: ['x'] } }, { a: deep })).toBe(false);
      });

      it('can be reused for many events', () => {
        const rule = compileEventPattern({ detail: { stage: ['issued', 'paid'] } });
        const stages = ['issued', 'paid', 'void', 'issued'];
        expect(stages.map((stage) => rule.matches({ detail: { stage } }))).toEqual([true, true, false, true]);
      });
    });
  });
});
