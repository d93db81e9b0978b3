import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../../cells/local/api/http-error.js';
import {
  cellParam,
  DEFAULT_WINDOW_MS,
  historySecParam,
  stageParam,
  windowParam,
} from '../../../../cells/local/monitoring/query-params.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../../cells/topology.js';

const topology = CELL_TOPOLOGY;
const first = topology.stages[0] as StageTopology;
const NOW = Date.parse('2026-11-20T12:00:00Z');

function errorOf(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('query-params', () => {
  describe('windowParam', () => {
    it('defaults to the 24 h before now', () => {
      expect(windowParam({}, NOW)).toEqual({ fromMs: NOW - DEFAULT_WINDOW_MS, toMs: NOW });
    });

    it('accepts RFC 3339 times with a lowercase t and z', () => {
      expect(windowParam({ from: '2026-11-20t09:00:00z' }, NOW)).toEqual({
        fromMs: Date.parse('2026-11-20T09:00:00Z'),
        toMs: NOW,
      });
    });

    it('answers 400 with the ISO times when from is not before to', () => {
      // Act
      const error = errorOf(() =>
        windowParam({ from: '2026-11-20T10:00:00Z', to: '2026-11-20T09:00:00Z' }, NOW),
      );

      // Assess
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe(
        'from must be before to, got from=2026-11-20T10:00:00.000Z to=2026-11-20T09:00:00.000Z',
      );
    });

    it('answers 400 naming the parameter for a time that is not RFC 3339', () => {
      const error = errorOf(() => windowParam({ to: '2026-13-45' }, NOW));
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe('to must be an RFC 3339 time like 2026-11-20T09:00:00Z, got "2026-13-45"');
    });

    it('answers 400 for a parameter given twice', () => {
      const error = errorOf(() => windowParam({ from: ['a', 'b'] }, NOW));
      expect(error.message).toBe('query parameter from must be given once');
    });
  });

  describe('stageParam', () => {
    it('returns a known stage and nothing for an empty one', () => {
      expect(stageParam({ stage: first.name }, topology)).toBe(first.name);
      expect(stageParam({ stage: '' }, topology)).toBeUndefined();
    });

    it('answers 400 listing the stages for an unknown one', () => {
      const error = errorOf(() => stageParam({ stage: 'nope' }, topology));
      expect(error.statusCode).toBe(400);
      expect(error.message).toBe(
        `stage must be one of ${topology.stages.map((s) => s.name).join(', ')}, got "nope"`,
      );
    });
  });

  describe('cellParam', () => {
    it('answers 400 for a name with a space', () => {
      const error = errorOf(() => cellParam({ cell: 'a b' }));
      expect(error.message).toBe('cell must be a cell name (letters, digits, . _ -), got "a b"');
    });
  });

  describe('historySecParam', () => {
    it.each(['-1', '0', '1.5', 'x'])('answers 400 for %s', (raw) => {
      const error = errorOf(() => historySecParam({ historySec: raw }));
      expect(error.message).toBe(`historySec must be a positive integer, got ${JSON.stringify(raw)}`);
    });

    it('returns the seconds', () => {
      expect(historySecParam({ historySec: '3600' })).toBe(3600);
    });
  });
});
