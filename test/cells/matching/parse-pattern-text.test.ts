import { describe, expect, it } from 'vitest';
import { parsePatternText } from '../../../cells/matching/index.js';
import { patternErrorOf } from './support/pattern-helpers.js';

describe('parsePatternText', () => {
  it('returns the parsed JSON', () => {
    expect(parsePatternText('{"source": ["aws.ec2"]}')).toEqual({ source: ['aws.ec2'] });
  });

  it('names the document when the JSON is broken', () => {
    const err = patternErrorOf(() => parsePatternText('{"source": [}', 'event pattern of rule "to-issued"'));
    expect(err.message).toMatch(/^event pattern of rule "to-issued" is not valid JSON: \S/);
  });

  it('rejects empty text', () => {
    expect(patternErrorOf(() => parsePatternText('  ', 'filter policy')).message).toBe(
      'filter policy is empty; expected a JSON object like {"source": ["invoices"]}',
    );
  });

  it('rejects input that is not text', () => {
    expect(patternErrorOf(() => parsePatternText(5 as unknown as string, 'filter policy')).message).toBe(
      'filter policy must be JSON text, got 5',
    );
  });
});
