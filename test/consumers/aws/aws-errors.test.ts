import { describe, expect, it } from 'vitest';
import { describeAwsError, isTransientAwsError } from '../../../consumers/aws/aws-errors.js';
import { throttled } from '../support/timestream-fakes.js';

describe('isTransientAwsError', () => {
  it.each([
    ['a ThrottlingException', throttled(), true],
    ['an InternalServerException', Object.assign(new Error('x'), { name: 'InternalServerException' }), true],
    ['an SDK error marked retryable', Object.assign(new Error('x'), { $retryable: {} }), true],
    ['a 503', Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }), true],
    ['a reset connection', Object.assign(new Error('x'), { code: 'ECONNRESET' }), true],
    ['a timed-out connection', Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), true],
    ['a validation error', Object.assign(new Error('x'), { name: 'ValidationException' }), false],
    ['a 403', Object.assign(new Error('x'), { $metadata: { httpStatusCode: 403 } }), false],
    [
      'SQLITE_BUSY (the SQLite store translates its own errors)',
      Object.assign(new Error('x'), { code: 'SQLITE_BUSY' }),
      false,
    ],
    ['a string', 'boom', false],
    ['null', null, false],
  ])('classifies %s as transient=%s', (_label, error, expected) => {
    // Assess
    expect(isTransientAwsError(error)).toBe(expected);
  });
});

describe('describeAwsError', () => {
  it('names the error and its message', () => {
    // Assess
    expect(describeAwsError(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))).toBe(
      'ThrottlingException: Rate exceeded',
    );
    expect(describeAwsError('boom')).toBe('boom');
  });
});
