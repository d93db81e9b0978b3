import { describe, expect, it } from 'vitest';
import {
  buildTopology,
  CELL_TOPOLOGY,
  DEFAULT_CELL_SETTINGS,
  STAGE_SETTINGS,
} from '../../../../cells/topology.js';
import { ConfigError, LAMBDA_ENV } from '../../../../consumers/aws/lambda/lambda-env.js';
import {
  cellTopologyFrom,
  MAX_TOPOLOGY_ENV_BYTES,
  topologyEnvValue,
} from '../../../../consumers/aws/lambda/topology-env.js';

/** The environment of a function whose cell topology is `value` (JSON text or a value to encode). */
function envWith(value: unknown): Record<string, string> {
  return { [LAMBDA_ENV.topology]: typeof value === 'string' ? value : JSON.stringify(value) };
}

const SPEC = JSON.parse(topologyEnvValue(CELL_TOPOLOGY)) as {
  settings: Record<string, unknown>;
  stages: string[];
};

describe('Lambda config', () => {
  describe('topologyEnvValue', () => {
    it('carries the resolved settings and the stage names, not the subscribers', () => {
      // Prepare
      const topology = buildTopology({ eventSource: 'invoice.partner' }, STAGE_SETTINGS, {
        ingestion: [{ id: 'eur-only', filterPolicy: { event: { amount: { currency: ['EUR'] } } } }],
      });

      // Act
      const spec = JSON.parse(topologyEnvValue(topology));

      // Assess
      expect(spec).toStrictEqual({
        settings: { ...DEFAULT_CELL_SETTINGS, eventSource: 'invoice.partner' },
        stages: ['ingestion', 'reconciliation', 'authorization', 'posting'],
      });
    });

    it('stays well inside the 4 KB Lambda environment quota', () => {
      expect(Buffer.byteLength(topologyEnvValue(CELL_TOPOLOGY))).toBeLessThan(MAX_TOPOLOGY_ENV_BYTES / 2);
    });

    it('refuses a topology larger than its share of the environment, showing the size', () => {
      // Prepare
      const huge = buildTopology({ eventSource: 'x'.repeat(MAX_TOPOLOGY_ENV_BYTES) });

      // Act
      const act = () => topologyEnvValue(huge);

      // Assess
      expect(act).toThrow(/CELL_TOPOLOGY environment variable would take \d+ bytes, more than 2048/);
    });
  });

  describe('cellTopologyFrom', () => {
    it('rebuilds the topology the stack serialised', () => {
      // Prepare
      const topology = buildTopology({ eventSource: 'invoice.partner', relayRetryAttempts: 3 });

      // Act
      const rebuilt = cellTopologyFrom(envWith(topologyEnvValue(topology)));

      // Assess
      expect(rebuilt).toStrictEqual(topology);
    });

    it('keeps the stage list and its order (a cell with fewer stages)', () => {
      // Prepare
      const topology = buildTopology({}, STAGE_SETTINGS.slice(0, 2), {});

      // Act
      const rebuilt = cellTopologyFrom(envWith(topologyEnvValue(topology)));

      // Assess
      expect(rebuilt.stages.map((s) => [s.name, s.slaSec])).toEqual([
        ['ingestion', 15 * 60],
        ['reconciliation', 0],
      ]);
    });

    it.each([
      ['unset', {}, 'environment variable CELL_TOPOLOGY is not set'],
      ['not JSON', envWith('{settings'), 'environment variable CELL_TOPOLOGY is not JSON'],
      ['not an object', envWith([1]), 'environment variable CELL_TOPOLOGY must be a JSON object'],
      ['without settings', envWith({ stages: SPEC.stages }), 'CELL_TOPOLOGY: settings must be an object'],
      [
        'with an unknown setting',
        envWith({ ...SPEC, settings: { ...SPEC.settings, color: 'red' } }),
        'CELL_TOPOLOGY: unknown setting color',
      ],
      [
        'with a missing setting',
        envWith({ ...SPEC, settings: { ...SPEC.settings, eventSource: undefined } }),
        'CELL_TOPOLOGY: setting eventSource must be a string, got undefined',
      ],
      [
        'with a setting of the wrong type',
        envWith({ ...SPEC, settings: { ...SPEC.settings, relayRetryAttempts: '3' } }),
        'CELL_TOPOLOGY: setting relayRetryAttempts must be a number, got "3"',
      ],
      [
        'with a setting the topology refuses',
        envWith({ ...SPEC, settings: { ...SPEC.settings, maxEventsPerRequest: 11 } }),
        'CELL_TOPOLOGY: cell setting maxEventsPerRequest must be 1..10 (the PutEvents limit), got 11',
      ],
      [
        'with a business-time window the store cannot take',
        envWith({ ...SPEC, settings: { ...SPEC.settings, maxFutureSkewSec: 3600 } }),
        "CELL_TOPOLOGY: cell setting maxFutureSkewSec must be at most 900 (Timestream's future ingestion period), got 3600",
      ],
      ['without stages', envWith({ ...SPEC, stages: [] }), 'CELL_TOPOLOGY: stages must be a non-empty array'],
      [
        'with an unknown stage',
        envWith({ ...SPEC, stages: ['billing'] }),
        'CELL_TOPOLOGY: "billing" is not a stage',
      ],
      [
        'with a stage listed twice',
        envWith({ ...SPEC, stages: ['ingestion', 'ingestion'] }),
        'CELL_TOPOLOGY: stage ingestion is listed twice',
      ],
    ])('refuses an environment %s with a ConfigError naming the problem', (_what, env, message) => {
      // Act
      const act = () => cellTopologyFrom(env);

      // Assess
      expect(act).toThrow(ConfigError);
      expect(act).toThrow(message);
    });
  });
});
