import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../../../../cells/catalog.js';
import { queueArnFromUrl, resolveCell } from '../../../../scripts/ops/aws/cell-resources.js';

describe('cell resources', () => {
  it('derives a queue ARN from its URL', () => {
    // Act + Assess
    expect(queueArnFromUrl('https://sqs.us-east-2.amazonaws.com/123456789012/posting-dlq.fifo')).toBe(
      'arn:aws:sqs:us-east-2:123456789012:posting-dlq.fifo',
    );
    expect(queueArnFromUrl('not a url')).toBeUndefined();
  });

  it('takes a catalog cell, or a region name, and refuses anything else', () => {
    // Act + Assess
    expect(resolveCell('us-east-2', DEFAULT_CATALOG).region).toBe('us-east-2');
    expect(resolveCell('eu-west-1', DEFAULT_CATALOG).region).toBe('eu-west-1');
    expect(() => resolveCell('mars', DEFAULT_CATALOG)).toThrow(/--cell: unknown cell "mars"/);
  });
});
