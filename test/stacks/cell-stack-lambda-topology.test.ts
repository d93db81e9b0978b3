import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CellDefinition } from '../../cells/catalog.js';
import { buildTopology } from '../../cells/topology.js';
import { LAMBDA_ENV } from '../../consumers/aws/lambda/lambda-env.js';
import { logicalIdOf, logicalIdsOfType, synthCells, templateJson } from './cell-fixture.js';

/** A catalog cell that overrides settings a function reads: the relay's source, the monitor's look-back. */
const PARTNER_CELL: CellDefinition = {
  name: 'us-east-2',
  region: 'us-east-2',
  overrides: { eventSource: 'invoice.partner', memoryRetentionHours: 48 },
};
const TOPOLOGY = buildTopology(PARTNER_CELL.overrides);

/** The parsed `LAMBDA_ENV.topology` of one function (by logical id). */
function topologyEnvOf(template: Template, functionId: string): unknown {
  const variables = templateJson(template).Resources[functionId]?.Properties?.Environment as
    | { Variables?: Record<string, unknown> }
    | undefined;
  const value = variables?.Variables?.[LAMBDA_ENV.topology];
  return typeof value === 'string' ? JSON.parse(value) : value;
}

describe('CellStack', () => {
  describe('Lambda topology environment', () => {
    let template: Template;
    const expected = {
      settings: { ...TOPOLOGY.settings, eventSource: 'invoice.partner', memoryRetentionHours: 48 },
      stages: TOPOLOGY.stages.map((s) => s.name),
    };

    beforeAll(() => {
      // Prepare: the app entry with a one-cell catalog whose entry overrides settings.
      template = synthCells(undefined, [PARTNER_CELL]).templates.get(PARTNER_CELL.name) as Template;
    });

    it('gives every relay its cell topology, with the overridden event source', () => {
      for (const stage of TOPOLOGY.stages) {
        // Act
        const env = topologyEnvOf(
          template,
          logicalIdOf(template, 'AWS::Lambda::Function', `Routing${stage.ids.relay}Function`),
        );

        // Assess
        expect(env).toStrictEqual(expected);
      }
    });

    it('gives every processor its cell topology', () => {
      for (const stage of TOPOLOGY.stages) {
        // Act
        const id = logicalIdOf(
          template,
          'AWS::Lambda::Function',
          `${stage.ids.consumer}${stage.ids.processor}Function`,
        );

        // Assess
        expect(topologyEnvOf(template, id)).toStrictEqual(expected);
      }
    });

    it('gives the stuck monitor its cell topology', () => {
      // Act
      const env = topologyEnvOf(
        template,
        logicalIdOf(template, 'AWS::Lambda::Function', 'StuckMonitorFunction'),
      );

      // Assess
      expect(env).toStrictEqual(expected);
    });

    it('leaves no function of the cell on a default topology', () => {
      // Act
      const ids = logicalIdsOfType(template, 'AWS::Lambda::Function');

      // Assess
      // Per stage a relay and a processor, plus the stuck monitor and the monthly report.
      expect(ids).toHaveLength(TOPOLOGY.stages.length * 2 + 2);
      for (const id of ids) expect(topologyEnvOf(template, id)).toStrictEqual(expected);
    });
  });
});
