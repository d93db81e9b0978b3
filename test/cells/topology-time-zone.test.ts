import { describe, expect, it } from 'vitest';
import { buildTopology, CELL_TOPOLOGY, isTimeZone } from '../../cells/topology.js';

describe('buildTopology', () => {
  describe('time zone setting', () => {
    it('defaults to UTC and takes a catalog override', () => {
      // Act
      const paris = buildTopology({ timeZone: 'Europe/Paris' });

      // Assess
      expect(CELL_TOPOLOGY.settings.timeZone).toBe('UTC');
      expect(paris.settings.timeZone).toBe('Europe/Paris');
    });

    it('refuses a name that is not an IANA time zone, naming the setting and the value', () => {
      // Act
      const act = () => buildTopology({ timeZone: 'Mars/Olympus' });

      // Assess
      expect(act).toThrow(
        'cell setting timeZone must be an IANA time zone like UTC or Europe/Paris, got "Mars/Olympus"',
      );
    });
  });
});

describe('isTimeZone', () => {
  it('knows IANA names and nothing else', () => {
    // Assess
    expect(['UTC', 'America/New_York', 'Asia/Kolkata'].map(isTimeZone)).toEqual([true, true, true]);
    expect(['', 'Nowhere', 42, undefined].map(isTimeZone)).toEqual([false, false, false, false]);
  });
});
