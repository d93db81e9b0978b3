import { describe, expect, it } from 'vitest';
import { compileFilterPolicy } from '../../../cells/matching/index.js';
import { bodyMatches, patternErrorOf } from './support/pattern-helpers.js';

describe('compileFilterPolicy', () => {
  describe('matches', () => {
    // https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html
    describe('the string value matching examples', () => {
      it('exact matching: customer_interests rugby or tennis', () => {
        const policy = { customer_interests: ['rugby', 'tennis'] };
        expect(bodyMatches(policy, { customer_interests: 'rugby' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'tennis' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'baseball' })).toBe(false);
      });

      it('anything-but matching: not rugby and not tennis', () => {
        const policy = { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] };
        expect(bodyMatches(policy, { customer_interests: 'baseball' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'football' })).toBe(true);
        // "because it contains a value that isn't rugby or tennis"
        expect(bodyMatches(policy, { customer_interests: ['rugby', 'baseball'] })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'rugby' })).toBe(false);
      });

      it('anything-but can be combined with exists: false', () => {
        const policy = { customer_interests: [{ 'anything-but': ['rugby'] }, { exists: false }] };
        expect(bodyMatches(policy, { store: 'fans' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'rugby' })).toBe(false);
        expect(bodyMatches({ customer_interests: [{ 'anything-but': ['rugby'] }] }, { store: 'fans' })).toBe(
          false,
        );
      });

      it('anything-but with a prefix: denies the order- prefix', () => {
        const policy = { event: [{ 'anything-but': { prefix: 'order-' } }] };
        expect(bodyMatches(policy, { event: 'data-entry' })).toBe(true);
        expect(bodyMatches(policy, { event: 'order_number' })).toBe(true);
        expect(bodyMatches(policy, { event: 'order-cancelled' })).toBe(false);
      });

      it('equals-ignore-case matching', () => {
        const policy = { customer_interests: [{ 'equals-ignore-case': 'tennis' }] };
        expect(bodyMatches(policy, { customer_interests: 'TENNIS' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'Tennis' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'rugby' })).toBe(false);
      });

      it('IP address matching: source_ip in 10.0.0.0/24', () => {
        const policy = { source_ip: [{ cidr: '10.0.0.0/24' }] };
        expect(bodyMatches(policy, { source_ip: '10.0.0.0' })).toBe(true);
        expect(bodyMatches(policy, { source_ip: '10.0.0.255' })).toBe(true);
        expect(bodyMatches(policy, { source_ip: '10.1.1.0' })).toBe(false);
      });

      it('prefix matching: bas', () => {
        const policy = { customer_interests: [{ prefix: 'bas' }] };
        expect(bodyMatches(policy, { customer_interests: 'baseball' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'basketball' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'rugby' })).toBe(false);
      });

      it('suffix matching: ball', () => {
        const policy = { customer_interests: [{ suffix: 'ball' }] };
        expect(bodyMatches(policy, { customer_interests: 'baseball' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'basketball' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'rugby' })).toBe(false);
      });
    });

    // https://docs.aws.amazon.com/sns/latest/dg/numeric-value-matching.html
    describe('the numeric value matching examples', () => {
      it('exact matching: price_usd = 301.5 however it is spelled', () => {
        const policy = { price_usd: [{ numeric: ['=', 301.5] }] };
        expect(bodyMatches(policy, JSON.parse('{"price_usd": 301.5}'))).toBe(true);
        expect(bodyMatches(policy, JSON.parse('{"price_usd": 3.015e2}'))).toBe(true);
        expect(bodyMatches(policy, { price_usd: 301.6 })).toBe(false);
      });

      it('anything-but matching: price not 100 and not 500', () => {
        const policy = { price: [{ 'anything-but': [100, 500] }] };
        expect(bodyMatches(policy, { price: 101 })).toBe(true);
        expect(bodyMatches(policy, { price: 100.1 })).toBe(true);
        expect(bodyMatches(policy, { price: [100, 50] })).toBe(true);
        expect(bodyMatches(policy, { price: 100 })).toBe(false);
      });

      it('value range matching: negative prices', () => {
        const policy = { price_usd: [{ numeric: ['<', 0] }] };
        expect(bodyMatches(policy, { price_usd: -0.01 })).toBe(true);
        expect(bodyMatches(policy, { price_usd: 0 })).toBe(false);
      });

      it('value range matching: positive up to and including 150', () => {
        const policy = { price_usd: [{ numeric: ['>', 0, '<=', 150] }] };
        expect(bodyMatches(policy, { price_usd: 150 })).toBe(true);
        expect(bodyMatches(policy, { price_usd: 0 })).toBe(false);
        expect(bodyMatches(policy, { price_usd: 150.01 })).toBe(false);
      });

      // Assumption: like EventBridge, numeric matching in a message body only applies to JSON numbers.
      it('does not compare numeric-looking strings', () => {
        expect(bodyMatches({ price_usd: [{ numeric: ['>', 0] }] }, { price_usd: '10' })).toBe(false);
      });
    });

    // https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html
    describe('the key matching examples', () => {
      const withStore = { store: 'fans', customer_interests: ['baseball', 'basketball'] };
      const withoutStore = { customer_interests: ['baseball', 'basketball'] };

      it('exists: true matches a body with the store key only', () => {
        const policy = { store: [{ exists: true }] };
        expect(bodyMatches(policy, withStore)).toBe(true);
        expect(bodyMatches(policy, withoutStore)).toBe(false);
      });

      it('exists: false matches a body without the store key only', () => {
        const policy = { store: [{ exists: false }] };
        expect(bodyMatches(policy, withStore)).toBe(false);
        expect(bodyMatches(policy, withoutStore)).toBe(true);
      });

      it('exists: true needs a non-null, non-empty value (unlike EventBridge)', () => {
        const policy = { store: [{ exists: true }] };
        expect(bodyMatches(policy, { store: null })).toBe(false);
        expect(bodyMatches(policy, { store: '' })).toBe(false);
        expect(bodyMatches(policy, { store: [] })).toBe(false);
      });

      // Assumption: exists: false is the complement of exists: true, so null and "" count as absent.
      it('exists: false matches a null or empty value', () => {
        expect(bodyMatches({ store: [{ exists: false }] }, { store: null, other: 1 })).toBe(true);
        expect(bodyMatches({ store: [{ exists: false }] }, { store: '' })).toBe(true);
      });

      // "exists": false only matches if at least one attribute exists (assumed for bodies too).
      it('exists: false does not match an empty body', () => {
        expect(bodyMatches({ store: [{ exists: false }] }, {})).toBe(false);
      });

      it('exists only works on leaf nodes', () => {
        expect(bodyMatches({ store: [{ exists: true }] }, { store: { name: 'fans' } })).toBe(false);
      });
    });

    // https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html
    describe('the AND/OR logic examples', () => {
      it('AND logic: rugby and a price above 100', () => {
        const policy = { customer_interests: ['rugby'], price_usd: [{ numeric: ['>', 100] }] };
        expect(bodyMatches(policy, { customer_interests: 'rugby', price_usd: 101 })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'rugby', price_usd: 100 })).toBe(false);
        expect(bodyMatches(policy, { customer_interests: 'tennis', price_usd: 101 })).toBe(false);
      });

      it('OR logic: rugby, football or baseball', () => {
        const policy = { customer_interests: ['rugby', 'football', 'baseball'] };
        expect(bodyMatches(policy, { customer_interests: 'football' })).toBe(true);
        expect(bodyMatches(policy, { customer_interests: 'hockey' })).toBe(false);
      });

      it('OR operator: source && (metricName || namespace)', () => {
        const policy = {
          source: ['aws.cloudwatch'],
          $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
        };
        expect(bodyMatches(policy, { source: 'aws.cloudwatch', metricName: 'CPUUtilization' })).toBe(true);
        expect(bodyMatches(policy, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' })).toBe(true);
        expect(bodyMatches(policy, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(false);
        expect(bodyMatches(policy, { source: 'aws.ec2', metricName: 'CPUUtilization' })).toBe(false);
      });

      it('accepts the nested $or policy whose complexity the page computes as 7', () => {
        const policy = {
          source: ['aws.cloudwatch'],
          $or: [
            { metricName: ['CPUUtilization', 'ReadLatency'] },
            {
              metricType: ['MetricType'],
              $or: [{ metricId: [1234, 4321] }, { spaceId: [1000, 2000, 3000] }],
            },
          ],
        };
        const compiled = compileFilterPolicy(policy);
        expect(compiled.matches({ source: 'aws.cloudwatch', metricType: 'MetricType', spaceId: 2000 })).toBe(
          true,
        );
        expect(compiled.matches({ source: 'aws.cloudwatch', metricType: 'MetricType', metricId: 1 })).toBe(
          false,
        );
      });
    });

    // https://docs.aws.amazon.com/sns/latest/dg/example-filter-policies.html, with the example's
    // message attributes carried as a MessageBody (the scope this matcher implements).
    describe('the example filter policies', () => {
      const transaction = {
        customer_interests: ['soccer', 'rugby', 'hockey'],
        store: 'example_corp',
        event: 'order_placed',
        price_usd: 210.75,
      };

      it('accepts the example message with the accepting policy', () => {
        const policy = {
          store: ['example_corp'],
          event: [{ 'anything-but': 'order_cancelled' }],
          customer_interests: ['rugby', 'football', 'baseball'],
          price_usd: [{ numeric: ['>=', 100] }],
        };
        expect(bodyMatches(policy, transaction)).toBe(true);
      });

      it('rejects the example message with the rejecting policy', () => {
        const policy = {
          store: ['example_corp'],
          event: ['order_cancelled'],
          encrypted: [false],
          customer_interests: ['basketball', 'baseball'],
        };
        expect(bodyMatches(policy, transaction)).toBe(false);
      });
    });

    // https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html (payload-based
    // filtering needs a JSON object body; nested keys must all match).
    describe('message bodies', () => {
      const policy = { order: { store: ['example_corp'], total: [{ numeric: ['>', 0] }] } };

      it('matches nested properties when every nested key matches', () => {
        expect(bodyMatches(policy, { order: { store: 'example_corp', total: 5 } })).toBe(true);
        expect(bodyMatches(policy, { order: { store: 'example_corp' } })).toBe(false);
        expect(bodyMatches(policy, { order: { store: 'other', total: 5 } })).toBe(false);
      });

      it('never matches a body that is not a JSON object', () => {
        const compiled = compileFilterPolicy(policy);
        expect(compiled.matches('{"order": {}}')).toBe(false);
        expect(compiled.matches(null)).toBe(false);
        expect(compiled.matches([{ order: { store: 'example_corp', total: 5 } }])).toBe(false);
      });

      it('matches objects inside arrays element by element (S3 Records style)', () => {
        const s3 = { Records: { s3: { object: { key: [{ prefix: 'uploads/' }] } } } };
        expect(
          bodyMatches(s3, {
            Records: [{ s3: { object: { key: 'other/a' } } }, { s3: { object: { key: 'uploads/b' } } }],
          }),
        ).toBe(true);
        expect(bodyMatches(s3, { Records: [{ s3: { object: { key: 'other/a' } } }] })).toBe(false);
      });
    });
  });

  // https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
  describe('limits', () => {
    it('accepts the 3 x 1 x 2 = 6 combinations example', () => {
      const policy = {
        key_a: ['value_one', 'value_two', 'value_three'],
        key_b: ['value_one'],
        key_c: ['value_one', 'value_two'],
      };
      expect(() => compileFilterPolicy(policy)).not.toThrow();
    });

    it('counts nested arrays times their depth (the 3 x 4 x 2 x 3 = 72 example)', () => {
      const policy = {
        key_a: { key_b: { key_c: ['value_one', 'value_two', 'value_three', 'value_four'] } },
        key_d: { key_e: ['value_one', 'value_two', 'value_three'] },
      };
      expect(() => compileFilterPolicy(policy)).not.toThrow();
      // One more value at depth 3 pushes the product over 150: (13 x 3) x (2 x 2) = 156.
      const bigger = {
        key_a: { key_b: { key_c: Array.from({ length: 13 }, (_, i) => `v${i}`) } },
        key_d: { key_e: ['value_one', 'value_two'] },
      };
      expect(patternErrorOf(() => compileFilterPolicy(bigger)).message).toBe(
        'filter policy has 156 combinations; SNS allows at most 150',
      );
    });

    it('sums combinations over $or branches', () => {
      const values = (n: number) => Array.from({ length: n }, (_, i) => i);
      const policy = {
        source: values(2),
        $or: [{ a: values(50) }, { b: values(25), c: values(2) }],
      };
      // 2 x (50 + 25 x 2) = 200
      expect(patternErrorOf(() => compileFilterPolicy(policy)).message).toBe(
        'filter policy has 200 combinations; SNS allows at most 150',
      );
    });

    it('counts leaf keys, not the parents of nested keys (key_d and key_f count)', () => {
      const policy = {
        key_a: {
          key_b: { key_c: { key_d: ['value_one', 'value_two', 'value_three', 'value_four'] } },
          key_e: { key_f: ['value_one', 'value_two', 'value_three'] },
        },
      };
      expect(() => compileFilterPolicy(policy)).not.toThrow();
    });

    // The revision of this page that lists the counted keys counts all six leaves of this policy
    // (state, severity, message, standard_control, region, account). A later revision says only
    // top-level keys count for payload filtering; we follow leaf counting (see the report).
    it('rejects the six-leaf-key example policy', () => {
      const policy = {
        state: ['SUCCESS'],
        severity: [{ exists: true }],
        message: [{ exists: true }],
        finding: {
          standard_control: [{ exists: true }],
          region: [{ exists: true }],
          account: [{ exists: true }],
        },
      };
      expect(patternErrorOf(() => compileFilterPolicy(policy)).message).toBe(
        'filter policy has 6 keys; SNS allows at most 5',
      );
    });

    // Assumption: a key repeated in several $or branches is one key.
    it('counts a key used in several $or branches once', () => {
      const policy = {
        a: ['1'],
        b: ['1'],
        c: ['1'],
        $or: [
          { d: ['1'], e: ['1'] },
          { d: ['2'], e: ['2'] },
        ],
      };
      expect(() => compileFilterPolicy(policy)).not.toThrow();
    });

    it('rejects a policy over 256 KB', () => {
      const policy = { big: ['x'.repeat(256 * 1024)] };
      expect(patternErrorOf(() => compileFilterPolicy(policy)).message).toBe(
        'filter policy is 262156 bytes; SNS allows at most 262144 (256 KB)',
      );
    });
  });
});
