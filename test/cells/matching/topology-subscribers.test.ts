import { describe, expect, it } from 'vitest';
import {
  buildTopology,
  CELL_TOPOLOGY,
  STAGE_SETTINGS,
  type StageSubscriberSettings,
} from '../../../cells/topology.js';

const EUR_ONLY: StageSubscriberSettings = {
  id: 'eur-only',
  filterPolicy: { event: { amount: { currency: ['EUR'] } } },
  description: 'Treasury: EUR invoices',
};

/** Builds the default stages with one subscriber on ingestion. */
const withIngestionSubscriber = (subscriber: StageSubscriberSettings) => () =>
  buildTopology({}, STAGE_SETTINGS, { ingestion: [subscriber] });

describe('buildTopology', () => {
  describe('subscribers', () => {
    it('declares no subscriber on any stage by default', () => {
      expect(CELL_TOPOLOGY.stages.map((s) => s.subscribers)).toEqual(CELL_TOPOLOGY.stages.map(() => []));
    });

    it('derives ids and keeps the declared policy and description', () => {
      // Act
      const topology = withIngestionSubscriber(EUR_ONLY)();

      // Assess
      const [ingestion, ...others] = topology.stages;
      expect(ingestion?.subscribers).toEqual([
        {
          id: 'eur-only',
          title: 'EurOnly',
          filterPolicy: { event: { amount: { currency: ['EUR'] } } },
          description: 'Treasury: EUR invoices',
          ids: {
            construct: 'EurOnlySubscriber',
            queue: 'IngestionEurOnlySubscriberQueue',
            dlq: 'IngestionEurOnlySubscriberDlq',
          },
        },
      ]);
      expect(others.flatMap((s) => s.subscribers)).toEqual([]);
    });

    it('copies the policy, so a later edit of the declaration changes nothing', () => {
      // Prepare
      const currency = ['EUR'];
      const declared = { id: 'eur-only', filterPolicy: { event: { amount: { currency } } } };

      // Act
      const topology = withIngestionSubscriber(declared)();
      currency.push('USD');

      // Assess
      expect(topology.stages[0]?.subscribers[0]?.filterPolicy).toEqual({
        event: { amount: { currency: ['EUR'] } },
      });
    });

    it('rejects a wildcard (EventBridge only), naming the stage, the subscriber and the problem', () => {
      const build = withIngestionSubscriber({
        id: 'inv-prefix',
        filterPolicy: { event: { invoiceId: [{ wildcard: 'INV-*' }] } },
      });
      expect(build).toThrow(
        'stage ingestion subscriber inv-prefix: invalid filter policy: unsupported operator "wildcard" in an SNS filter policy at policy.event.invoiceId',
      );
    });

    it('rejects a policy with 6 keys (SNS allows 5)', () => {
      const build = withIngestionSubscriber({
        id: 'too-wide',
        filterPolicy: { event: { a: ['x'], b: ['x'], c: ['x'], d: ['x'], e: ['x'], f: ['x'] } },
      });
      expect(build).toThrow(
        'stage ingestion subscriber too-wide: invalid filter policy: filter policy has 6 keys; SNS allows at most 5',
      );
    });

    it('rejects an empty value list instead of matching nothing', () => {
      const build = withIngestionSubscriber({
        id: 'nothing',
        filterPolicy: { event: { amount: { currency: [] } } },
      });
      expect(build).toThrow(
        'stage ingestion subscriber nothing: invalid filter policy: policy.event.amount.currency: empty arrays are not allowed',
      );
    });

    it('rejects a policy that is not a JSON object', () => {
      const build = withIngestionSubscriber({
        id: 'eur-only',
        filterPolicy: ['EUR'] as unknown as Record<string, unknown>,
      });
      expect(build).toThrow('stage ingestion subscriber eur-only: filterPolicy must be a JSON object');
    });

    it('rejects an id that is not lowercase kebab-case', () => {
      expect(withIngestionSubscriber({ ...EUR_ONLY, id: 'Eur_Only' })).toThrow(
        'stage ingestion subscriber "Eur_Only": id must be lowercase kebab-case',
      );
    });

    it('rejects the same id twice on one stage', () => {
      const build = () => buildTopology({}, STAGE_SETTINGS, { ingestion: [EUR_ONLY, EUR_ONLY] });
      expect(build).toThrow('stage ingestion subscriber eur-only: declared twice');
    });

    it('rejects subscribers on a stage the topology does not have', () => {
      const build = () => buildTopology({}, STAGE_SETTINGS.slice(1), { ingestion: [EUR_ONLY] });
      expect(build).toThrow(
        'subscribers declared on unknown stage ingestion; stages are reconciliation, authorization, posting',
      );
    });
  });
});
