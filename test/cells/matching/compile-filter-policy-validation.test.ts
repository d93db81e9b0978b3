import { describe, expect, it } from 'vitest';
import { compileFilterPolicy } from '../../../cells/matching/index.js';
import type { Case } from './support/pattern-case.js';
import { patternErrorOf } from './support/pattern-helpers.js';

// SNS: https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html and
// the operator pages; SNS has no wildcard, and only {"anything-but": {"prefix": ...}}.
const filterPolicyCases: readonly Case[] = [
  {
    label: 'a policy that is not an object',
    input: null,
    message: 'policy: a filter policy must be a JSON object, got null',
  },
  { label: 'an empty policy', input: {}, message: 'policy: a filter policy needs at least one field' },
  {
    label: 'wildcard',
    input: { store: [{ wildcard: 'example_*' }] },
    message: 'unsupported operator "wildcard" in an SNS filter policy at policy.store',
  },
  {
    label: 'anything-but with a suffix',
    input: { file: [{ 'anything-but': { suffix: '.png' } }] },
    message: 'unsupported operator "anything-but/suffix" in an SNS filter policy at policy.file',
  },
  {
    label: 'anything-but with equals-ignore-case',
    input: { state: [{ 'anything-but': { 'equals-ignore-case': 'x' } }] },
    message: 'unsupported operator "anything-but/equals-ignore-case" in an SNS filter policy at policy.state',
  },
  {
    label: 'anything-but with a wildcard',
    input: { path: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
    message: 'unsupported operator "anything-but/wildcard" in an SNS filter policy at policy.path',
  },
  {
    label: 'anything-but with a list of prefixes',
    input: { event: [{ 'anything-but': { prefix: ['order-', 'refund-'] } }] },
    message: 'policy.event: "anything-but": {"prefix": ...} needs a string, got an array',
  },
  {
    label: 'anything-but with an operator SNS does not know',
    input: { event: [{ 'anything-but': { contains: 'x' } }] },
    message:
      'policy.event: "anything-but" does not support "contains"; use a value, a list, or {"prefix": ...}',
  },
  {
    label: 'prefix with equals-ignore-case',
    input: { name: [{ prefix: { 'equals-ignore-case': 'ab' } }] },
    message: 'unsupported operator "prefix/equals-ignore-case" in an SNS filter policy at policy.name',
  },
  {
    label: 'an unknown operator',
    input: { name: [{ contains: 'ab' }] },
    message:
      'policy.name: unknown operator "contains"; SNS supports "prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr"',
  },
  {
    label: 'numeric beyond ±1e9',
    input: { price: [{ numeric: ['<', 2e9] }] },
    message:
      'policy.price: "numeric" value 2000000000 is out of range; SNS compares numbers from -1000000000 to 1000000000',
  },
  {
    label: 'an empty array of values',
    input: { store: [] },
    message: 'policy.store: empty arrays are not allowed; list at least one match value',
  },
  {
    label: 'six leaf keys',
    input: { a: ['1'], b: ['1'], c: ['1'], d: ['1'], e: ['1'], f: ['1'] },
    message: 'filter policy has 6 keys; SNS allows at most 5',
  },
  {
    label: 'six leaf keys spread over nesting and $or',
    input: { a: ['1'], nested: { b: ['1'], c: ['1'] }, $or: [{ d: ['1'] }, { e: ['1'], f: ['1'] }] },
    message: 'filter policy has 6 keys; SNS allows at most 5',
  },
  {
    label: 'a malformed $or',
    input: { $or: [{ a: ['x'] }] },
    message: 'policy.$or: "$or" must be an array of at least two objects, got an array',
  },
];

describe('compileFilterPolicy', () => {
  describe('validation', () => {
    it.each(filterPolicyCases)('rejects $label', ({ input, message }) => {
      const err = patternErrorOf(() => compileFilterPolicy(input));
      expect(err.message).toBe(message);
    });

    it('accepts every operator form SNS documents', () => {
      const policy = {
        a: ['x', 1, true, null, { prefix: 'p' }, { suffix: 's' }, { 'equals-ignore-case': 'e' }],
        b: [{ 'anything-but': ['x', 'y'] }, { 'anything-but': { prefix: 'order-' } }, { exists: false }],
        c: [{ numeric: ['>', 0, '<=', 150] }, { 'anything-but': [100, 500] }],
        d: [{ cidr: '10.0.0.0/24' }],
        nested: { e: [{ numeric: ['=', 301.5] }] },
      };
      expect(() => compileFilterPolicy(policy)).not.toThrow();
    });
  });
});
