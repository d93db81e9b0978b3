import { describe, expect, it } from 'vitest';
import { eventMatches } from './support/pattern-helpers.js';

describe('compileEventPattern', () => {
  describe('matches', () => {
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
        expect(eventMatches(pattern, { detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 } })).toBe(
          true,
        );
      });

      it('does not match when one field is out of range', () => {
        expect(eventMatches(pattern, { detail: { 'c-count': 0, 'd-count': 3, 'x-limit': 301.8 } })).toBe(
          false,
        );
        expect(eventMatches(pattern, { detail: { 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 } })).toBe(
          false,
        );
        expect(eventMatches(pattern, { detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.9 } })).toBe(
          false,
        );
      });

      it('only compares JSON numbers, never numeric-looking strings', () => {
        expect(eventMatches(pattern, { detail: { 'c-count': '5', 'd-count': 3, 'x-limit': 301.8 } })).toBe(
          false,
        );
      });

      // Assumption (event-ruler ComparableNumber): event numbers beyond ±5e9 cannot be compared.
      it('does not compare event numbers beyond ±5e9', () => {
        expect(eventMatches({ n: [{ numeric: ['>', 0] }] }, { n: 6e9 })).toBe(false);
        expect(eventMatches({ n: [{ numeric: ['<', 0] }] }, { n: -6e9 })).toBe(false);
      });

      it('treats 300, 300.0 and 3e2 as the same number once parsed', () => {
        const parsed = JSON.parse('{"a": 300.0, "b": 3e2}') as unknown;
        expect(eventMatches({ a: [300], b: [{ numeric: ['=', 300] }] }, parsed)).toBe(true);
      });
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
    describe('the content filtering examples: IP address', () => {
      it('matches IPv4 addresses in 10.0.0.0/24', () => {
        const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
        expect(eventMatches(pattern, { detail: { sourceIPAddress: '10.0.0.0' } })).toBe(true);
        expect(eventMatches(pattern, { detail: { sourceIPAddress: '10.0.0.255' } })).toBe(true);
        expect(eventMatches(pattern, { detail: { sourceIPAddress: '10.0.1.0' } })).toBe(false);
        expect(eventMatches(pattern, { detail: { sourceIPAddress: 'not-an-ip' } })).toBe(false);
      });

      it('matches IPv6 addresses ("You can use IP address matching for IPv4 and IPv6")', () => {
        const pattern = { ip: [{ cidr: '2001:db8::/32' }] };
        expect(eventMatches(pattern, { ip: '2001:db8::1' })).toBe(true);
        expect(eventMatches(pattern, { ip: '2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff' })).toBe(true);
        expect(eventMatches(pattern, { ip: '2001:db9::1' })).toBe(false);
        expect(eventMatches(pattern, { ip: '10.0.0.1' })).toBe(false);
      });

      it('honours masks that do not end on a byte boundary', () => {
        const v4 = { ip: [{ cidr: '10.0.0.0/30' }] };
        expect(eventMatches(v4, { ip: '10.0.0.3' })).toBe(true);
        expect(eventMatches(v4, { ip: '10.0.0.4' })).toBe(false);
        const v6 = { ip: [{ cidr: 'fe80::/10' }] };
        expect(eventMatches(v6, { ip: 'febf::1' })).toBe(true);
        expect(eventMatches(v6, { ip: 'fec0::1' })).toBe(false);
      });

      // aws/event-ruler CIDR.java: the range runs from the address as written to that address with
      // the host bits set; it does not round the start down to the network address.
      it('starts the range at the written address, as event-ruler does', () => {
        const pattern = { ip: [{ cidr: '10.0.0.5/24' }] };
        expect(eventMatches(pattern, { ip: '10.0.0.200' })).toBe(true);
        expect(eventMatches(pattern, { ip: '10.0.0.4' })).toBe(false);
      });

      it('reads IPv6 in full, compressed and IPv4-mapped spellings', () => {
        expect(eventMatches({ ip: [{ cidr: '::/1' }] }, { ip: '0:0:0:0:0:0:0:1' })).toBe(true);
        expect(eventMatches({ ip: [{ cidr: '::/1' }] }, { ip: '::' })).toBe(true);
        expect(eventMatches({ ip: [{ cidr: '::/1' }] }, { ip: '1::2::3' })).toBe(false);
        // Java's InetAddress (used by event-ruler) reads ::ffff:a.b.c.d as the IPv4 address a.b.c.d.
        expect(eventMatches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '::ffff:10.1.2.3' })).toBe(true);
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
        expect(eventMatches(pattern, event)).toBe(true);
      });

      it('also matches when c-count is not a leaf node', () => {
        const event = { detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } };
        expect(eventMatches(pattern, event)).toBe(true);
      });

      it('does not match when c-count is a leaf value', () => {
        expect(eventMatches(pattern, { detail: { 'c-count': 3 } })).toBe(false);
      });

      it('exists: true does not see intermediate nodes either', () => {
        expect(
          eventMatches({ detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': { c1: 100 } } }),
        ).toBe(false);
      });

      // "The value of the field is not considered when evaluating a match": null is a value.
      it('counts a null value as existing', () => {
        expect(eventMatches({ a: [{ exists: true }] }, { a: null })).toBe(true);
        expect(eventMatches({ a: [{ exists: false }] }, { a: null })).toBe(false);
      });

      // Assumption (event-ruler flattens events to leaf values): an empty array has no leaf value,
      // so the field does not exist; a non-empty array does.
      it('treats an empty array as absent and a non-empty one as present', () => {
        expect(eventMatches({ a: [{ exists: true }] }, { a: [] })).toBe(false);
        expect(eventMatches({ a: [{ exists: false }] }, { a: [] })).toBe(true);
        expect(eventMatches({ a: [{ exists: true }] }, { a: ['x'] })).toBe(true);
      });

      // Assumption (event-ruler checks absence across the whole array when nothing else pins an
      // element): exists false over an array of objects needs the field missing from every element.
      it('needs the field missing from every element of an array of objects', () => {
        const absent = { items: { discount: [{ exists: false }] } };
        expect(eventMatches(absent, { items: [{ sku: 'a' }, { sku: 'b' }] })).toBe(true);
        expect(eventMatches(absent, { items: [{ sku: 'a' }, { sku: 'b', discount: 5 }] })).toBe(false);
      });

      it('checks absence within the element that the other fields pinned', () => {
        const pattern2 = { items: { sku: ['b'], discount: [{ exists: false }] } };
        expect(eventMatches(pattern2, { items: [{ sku: 'a', discount: 5 }, { sku: 'b' }] })).toBe(true);
        expect(eventMatches(pattern2, { items: [{ sku: 'a' }, { sku: 'b', discount: 5 }] })).toBe(false);
      });
    });
  });
});
