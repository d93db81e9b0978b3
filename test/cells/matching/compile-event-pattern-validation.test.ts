import { describe, expect, it } from 'vitest';
import { compileEventPattern } from '../../../cells/matching/index.js';
import type { Case } from './support/pattern-case.js';
import { patternErrorOf } from './support/pattern-helpers.js';

// Rules and messages follow EventBridge's documented syntax and, where the guide is silent,
// aws/event-ruler's JsonRuleCompiler (the compiler EventBridge uses), e.g. "Empty arrays are not
// allowed", "Only one key allowed in match expression", "Consecutive wildcard characters",
// "IPv4 mask bits must be < 32", "Bottom must be less than top", "Null prefix/suffix not allowed".
const eventPatternCases: readonly Case[] = [
  {
    label: 'a pattern that is not an object',
    input: [],
    message: 'pattern: an event pattern must be a JSON object, got an empty array',
  },
  {
    label: 'a pattern given as a JSON string',
    input: '{"source": ["aws.ec2"]}',
    message: 'pattern: an event pattern must be a JSON object, got "{\\"source\\": [\\"aws.ec2\\"]}"',
  },
  { label: 'an empty pattern', input: {}, message: 'pattern: an event pattern needs at least one field' },
  {
    label: 'a bare value instead of an array',
    input: { source: 'aws.ec2' },
    message:
      'pattern.source: expected an array of match values or a nested object, got "aws.ec2"; wrap match values in an array, like ["aws.ec2"]',
  },
  {
    label: 'an empty nested object',
    input: { detail: {} },
    message: 'pattern.detail: empty objects are not allowed; give at least one field or remove it',
  },
  {
    label: 'an empty array of values',
    input: { source: [] },
    message: 'pattern.source: empty arrays are not allowed; list at least one match value',
  },
  {
    label: 'an array inside the values',
    input: { source: [['aws.ec2']] },
    message:
      'pattern.source: a match value must be a string, number, true, false, null or an operator object like {"prefix": "abc"}, got an array',
  },
  {
    label: 'a number that is not finite (built in code, not JSON)',
    input: { n: [Number.NaN] },
    message: 'pattern.n: match numbers must be finite, got NaN',
  },
  {
    label: 'an empty operator object',
    input: { source: [{}] },
    message: 'pattern.source: an operator object must have exactly one key, got {}',
  },
  {
    label: 'two operators in one object',
    input: { source: [{ prefix: 'a', suffix: 'b' }] },
    message: 'pattern.source: an operator object must have exactly one key, got 2 ("prefix", "suffix")',
  },
  {
    label: 'an unknown operator',
    input: { source: [{ contains: 'ec2' }] },
    message:
      'pattern.source: unknown operator "contains"; EventBridge supports "prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists", "cidr"',
  },
  {
    label: 'a prefix that is not a string',
    input: { a: [{ prefix: 5 }] },
    message: 'pattern.a: "prefix" needs a string or {"equals-ignore-case": "..."}, got 5',
  },
  {
    label: 'a prefix with an operator other than equals-ignore-case',
    input: { a: [{ prefix: { wildcard: 'x*' } }] },
    message: 'pattern.a: "prefix" needs a string or {"equals-ignore-case": "..."}, got an object',
  },
  {
    label: 'a suffix/equals-ignore-case that is not a string',
    input: { a: [{ suffix: { 'equals-ignore-case': 5 } }] },
    message: 'pattern.a: "suffix": {"equals-ignore-case": ...} needs a string, got 5',
  },
  {
    label: 'an equals-ignore-case that is not a string',
    input: { a: [{ 'equals-ignore-case': ['x'] }] },
    message: 'pattern.a: "equals-ignore-case" needs a string, got an array',
  },
  {
    label: 'numeric without an operator list',
    input: { detail: { amount: [{ numeric: '>' }] } },
    message: 'pattern.detail.amount: "numeric" needs an operator list like [">", 0]',
  },
  {
    label: 'numeric with an empty list',
    input: { detail: { amount: [{ numeric: [] }] } },
    message: 'pattern.detail.amount: "numeric" needs an operator list like [">", 0]',
  },
  {
    label: 'numeric starting with a number',
    input: { n: [{ numeric: [5] }] },
    message: 'pattern.n: "numeric" must start with an operator ("<", "<=", "=", ">" or ">="), got 5',
  },
  {
    label: 'numeric with an unknown operator',
    input: { n: [{ numeric: ['!=', 5] }] },
    message: 'pattern.n: unrecognized "numeric" operator "!="; use "<", "<=", "=", ">" or ">="',
  },
  {
    label: 'numeric with an operator and no value',
    input: { n: [{ numeric: ['>'] }] },
    message: 'pattern.n: "numeric" operator ">" must be followed by a number, got nothing',
  },
  {
    label: 'numeric with a string value',
    input: { n: [{ numeric: ['>', '0'] }] },
    message: 'pattern.n: "numeric" operator ">" must be followed by a number, got "0"',
  },
  {
    label: 'numeric equals followed by more terms',
    input: { n: [{ numeric: ['=', 3, '<', 5] }] },
    message: 'pattern.n: "numeric" ["=", 3] takes no further terms',
  },
  {
    label: 'numeric upper bound written first',
    input: { n: [{ numeric: ['<', 5, '>', 0] }] },
    message:
      'pattern.n: "numeric" upper bound must come last; write the lower bound first, like [">", 0, "<=", 5]',
  },
  {
    label: 'numeric with two lower bounds',
    input: { n: [{ numeric: ['>', 0, '>=', 5] }] },
    message: 'pattern.n: "numeric" lower bound can only be followed by "<" or "<=", got ">="',
  },
  {
    label: 'numeric with an empty range',
    input: { n: [{ numeric: ['>', 5, '<', 1] }] },
    message: 'pattern.n: "numeric" range is empty: the lower bound 5 must be less than the upper bound 1',
  },
  {
    label: 'numeric with too many terms',
    input: { n: [{ numeric: ['>', 0, '<', 5, '<', 6] }] },
    message:
      'pattern.n: "numeric" has too many terms; give at most a lower and an upper bound, like [">", 0, "<=", 5]',
  },
  {
    label: 'numeric beyond ±5e9',
    input: { n: [{ numeric: ['>', 6e9] }] },
    message:
      'pattern.n: "numeric" value 6000000000 is out of range; EventBridge compares numbers from -5000000000 to 5000000000',
  },
  {
    label: 'numeric with more than six decimals',
    input: { n: [{ numeric: ['>', 0.1234567] }] },
    message:
      'pattern.n: "numeric" value 0.1234567 has more than 6 decimal places; EventBridge compares numbers to 6 decimal places',
  },
  {
    label: 'exists with a string',
    input: { a: [{ exists: 'true' }] },
    message: 'pattern.a: "exists" must be true or false, got "true"',
  },
  {
    label: 'cidr that is not a string',
    input: { ip: [{ cidr: 10 }] },
    message: 'pattern.ip: "cidr" needs a string like "10.0.0.0/24", got 10',
  },
  {
    label: 'cidr without a mask',
    input: { ip: [{ cidr: '10.0.0.1' }] },
    message:
      'pattern.ip: "cidr" value "10.0.0.1" is not a CIDR block; expected address/mask like "10.0.0.0/24"',
  },
  {
    label: 'cidr with a mask that is not a number',
    input: { ip: [{ cidr: '10.0.0.0/x' }] },
    message: 'pattern.ip: "cidr" value "10.0.0.0/x" has mask bits "x"; they must be a non-negative integer',
  },
  {
    label: 'cidr with an invalid address',
    input: { ip: [{ cidr: '300.0.0.0/8' }] },
    message: 'pattern.ip: "cidr" value "300.0.0.0/8" does not start with an IPv4 or IPv6 address',
  },
  {
    label: 'cidr with a /32 IPv4 mask',
    input: { ip: [{ cidr: '10.0.0.1/32' }] },
    message:
      'pattern.ip: "cidr" value "10.0.0.1/32": IPv4 mask bits must be less than 32; match a single address with the plain string "10.0.0.1"',
  },
  {
    label: 'cidr with a /128 IPv6 mask',
    input: { ip: [{ cidr: '2001:db8::1/128' }] },
    message:
      'pattern.ip: "cidr" value "2001:db8::1/128": IPv6 mask bits must be less than 128; match a single address with the plain string "2001:db8::1"',
  },
  {
    label: 'wildcard with consecutive asterisks',
    input: { f: [{ wildcard: 'dir/**.png' }] },
    message: 'pattern.f: "wildcard" value "dir/**.png" has consecutive wildcard characters at position 4',
  },
  {
    label: 'wildcard with an invalid escape',
    input: { f: [{ wildcard: 'a\\b' }] },
    message:
      'pattern.f: "wildcard" value "a\\\\b" has an invalid escape at position 1; only \\* and \\\\ are allowed',
  },
  {
    label: 'wildcard that is not a string',
    input: { f: [{ wildcard: 5 }] },
    message: 'pattern.f: "wildcard" needs a string like "dir/*.png", got 5',
  },
  {
    label: 'anything-but with an empty list',
    input: { s: [{ 'anything-but': [] }] },
    message: 'pattern.s: "anything-but" list is empty; list at least one value',
  },
  {
    label: 'anything-but mixing strings and numbers',
    input: { s: [{ 'anything-but': ['a', 1] }] },
    message:
      'pattern.s: "anything-but" list must hold only strings or only numbers (no mix, and no true, false, null, arrays or objects)',
  },
  {
    label: 'anything-but with null in the list',
    input: { s: [{ 'anything-but': [null] }] },
    message:
      'pattern.s: "anything-but" list must hold only strings or only numbers (no mix, and no true, false, null, arrays or objects)',
  },
  {
    label: 'anything-but with a boolean',
    input: { s: [{ 'anything-but': true }] },
    message:
      'pattern.s: "anything-but" needs a string, a number, a list of strings or of numbers, or an operator object like {"prefix": "init"}, got true',
  },
  {
    label: 'anything-but with an unknown operator',
    input: { s: [{ 'anything-but': { contains: 'x' } }] },
    message:
      'pattern.s: "anything-but" does not support "contains"; use a value, a list, or {"prefix"|"suffix"|"equals-ignore-case"|"wildcard": ...}',
  },
  {
    label: 'anything-but with two operators',
    input: { s: [{ 'anything-but': { prefix: 'a', suffix: 'b' } }] },
    message: 'pattern.s: "anything-but" operator object must have exactly one key, got 2',
  },
  {
    label: 'anything-but with an empty prefix',
    input: { s: [{ 'anything-but': { prefix: '' } }] },
    message: 'pattern.s: "anything-but": {"prefix": ""} is not allowed; the prefix must not be empty',
  },
  {
    label: 'anything-but with a prefix that is not a string',
    input: { s: [{ 'anything-but': { prefix: 5 } }] },
    message:
      'pattern.s: "anything-but": {"prefix": ...} needs a string or a non-empty list of strings, got 5',
  },
  {
    label: 'anything-but with an invalid wildcard',
    input: { s: [{ 'anything-but': { wildcard: ['ok*', 'a**'] } }] },
    message: 'pattern.s: "wildcard" value "a**" has consecutive wildcard characters at position 1',
  },
  {
    label: '$or that is not an array',
    input: { $or: { a: ['x'] } },
    message: 'pattern.$or: "$or" must be an array of at least two objects, got an object',
  },
  {
    label: '$or with a single branch',
    input: { $or: [{ a: ['x'] }] },
    message: 'pattern.$or: "$or" must be an array of at least two objects, got an array',
  },
  {
    label: '$or with a branch that is not an object',
    input: { $or: [{ a: ['x'] }, 'b'] },
    message: 'pattern.$or[1]: each "$or" branch must be an object, got "b"',
  },
  {
    label: '$or using an operator name as a field (documented as not an OR)',
    input: { $or: [{ numeric: 123 }, { prefix: 'abc' }] },
    message: 'pattern.$or[0].numeric: "numeric" is an operator name and cannot be a field name inside "$or"',
  },
  {
    label: 'a problem deep inside an $or branch',
    input: { $or: [{ a: ['x'] }, { b: { c: [] } }] },
    message: 'pattern.$or[1].b.c: empty arrays are not allowed; list at least one match value',
  },
  {
    label: 'a field name with a dot',
    input: { detail: { 'a.b': [{ numeric: 5 }] } },
    message: 'pattern.detail["a.b"]: "numeric" needs an operator list like [">", 0]',
  },
];

describe('compileEventPattern', () => {
  describe('validation', () => {
    it.each(eventPatternCases)('rejects $label', ({ input, message }) => {
      const err = patternErrorOf(() => compileEventPattern(input));
      expect(err.message).toBe(message);
    });

    it('sets the error name and the JSON path', () => {
      const err = patternErrorOf(() => compileEventPattern({ detail: { amount: [{ numeric: '>' }] } }));
      expect(err.name).toBe('PatternError');
      expect(err.path).toBe('pattern.detail.amount');
      expect(err).toBeInstanceOf(Error);
    });

    it('accepts every operator form EventBridge documents', () => {
      const pattern = {
        a: ['x', 1, true, false, null, ''],
        b: [{ prefix: 'p' }, { prefix: { 'equals-ignore-case': 'P' } }, { prefix: '' }],
        c: [{ suffix: 's' }, { suffix: { 'equals-ignore-case': 'S' } }, { 'equals-ignore-case': 'e' }],
        d: [{ wildcard: 'w*' }, { cidr: '10.0.0.0/8' }, { cidr: '2001:db8::/32' }, { exists: true }],
        e: [
          { 'anything-but': 'x' },
          { 'anything-but': 1 },
          { 'anything-but': ['x', 'y'] },
          { 'anything-but': [1, 2] },
          { 'anything-but': { prefix: 'p' } },
          { 'anything-but': { suffix: 's' } },
          { 'anything-but': { 'equals-ignore-case': ['A', 'b'] } },
          { 'anything-but': { wildcard: '*/lib/*' } },
        ],
        f: [{ numeric: ['=', 3] }, { numeric: ['>=', -5e9, '<', 5e9] }, { numeric: ['<=', 0.000001] }],
        $or: [{ g: ['1'] }, { h: { i: [{ exists: false }] } }],
      };
      expect(() => compileEventPattern(pattern)).not.toThrow();
    });
  });
});
