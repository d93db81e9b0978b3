import { describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY, DEFAULT_CELL_SETTINGS } from '../../cells/topology.js';

describe('buildTopology', () => {
  describe('business-time window settings', () => {
    it('carries the window settings in the default topology', () => {
      // Assess
      expect(CELL_TOPOLOGY.settings).toMatchObject({ maxFutureSkewSec: 300, maxEventAgeDays: 1825 });
      expect(DEFAULT_CELL_SETTINGS.maxEventAgeDays + 14).toBeLessThanOrEqual(
        DEFAULT_CELL_SETTINGS.magneticRetentionDays,
      );
    });

    it('takes a catalog override of the window', () => {
      // Act
      const topology = buildTopology({ maxFutureSkewSec: 60, maxEventAgeDays: 30 });

      // Assess
      expect(topology.settings).toMatchObject({ maxFutureSkewSec: 60, maxEventAgeDays: 30 });
    });

    it('refuses an override beyond what Timestream accepts ahead of its clock', () => {
      // Act
      const act = () => buildTopology({ maxFutureSkewSec: 3600 });

      // Assess
      expect(act).toThrow('cell setting maxFutureSkewSec must be at most 900');
    });

    it('refuses a magnetic retention that the default age plus 14 days outlives', () => {
      // Act
      const act = () => buildTopology({ magneticRetentionDays: 365 });

      // Assess
      expect(act).toThrow('cell setting maxEventAgeDays must be at most magneticRetentionDays - 14 (351');
    });

    it('refuses a window setting that is not a positive integer', () => {
      // Act
      const act = () => buildTopology({ maxEventAgeDays: 0 });

      // Assess
      expect(act).toThrow('cell setting maxEventAgeDays must be a positive integer, got 0');
    });
  });
});
