import { describe, expect, it, vi } from 'vitest';
import { busRules, EventBus } from '../../../../cells/local/bus/event-bus.js';
import { SampleEvents } from '../../../../cells/local/sample-events.js';
import {
  buildTopology,
  CELL_TOPOLOGY,
  type CellTopology,
  type StageTopology,
  stageRulePattern,
} from '../../../../cells/topology.js';
import type { BusEvent } from '../../../../consumers/relay.js';

const RECEIVED_AT_MS = Date.parse('2026-11-20T09:15:00Z');
const samples = new SampleEvents(CELL_TOPOLOGY);

/** A bus event of `stage` as the ingest client puts it, with the given `source`. */
function busEvent(stage: StageTopology, source: string, invoiceId: string): BusEvent {
  return {
    id: `bus-${invoiceId}`,
    source,
    'detail-type': stage.detailType,
    detail: { receivedAtMs: RECEIVED_AT_MS, event: samples.event(stage, { invoiceId }) },
  };
}

function stageAt(topology: CellTopology, index: number): StageTopology {
  return topology.stages[index] as StageTopology;
}

describe('EventBus', () => {
  describe('busRules', () => {
    it('gives each stage the EventBridge pattern of its deployed rule', () => {
      // Prepare
      const topology = CELL_TOPOLOGY;

      // Act
      const rules = busRules(topology);

      // Assess
      expect(rules.map((r) => r.name)).toEqual(topology.stages.map((s) => s.ids.rule));
      for (const [i, rule] of rules.entries()) {
        const stage = stageAt(topology, i);
        expect(rule.stage).toBe(stage);
        expect(rule.pattern).toEqual({ source: ['invoice.platform'], 'detail-type': [stage.detailType] });
        expect(rule.pattern).toEqual(stageRulePattern(topology.settings, stage));
      }
    });
  });

  describe('route', () => {
    it('delivers a valid event to its stage only', async () => {
      // Prepare
      const bus = new EventBus(CELL_TOPOLOGY);
      const stage = stageAt(CELL_TOPOLOGY, 1);
      const event = busEvent(stage, CELL_TOPOLOGY.settings.eventSource, 'INV-BUS-1');

      // Act
      const [routed] = await bus.route([event]);

      // Assess
      expect(routed?.event).toBe(event);
      expect(routed?.deliveries.map((d) => d.stage.name)).toEqual([stage.name]);
      expect(routed?.deliveries[0]?.entries[0]?.MessageDeduplicationId).toBe(event.detail.event.eventId);
      expect(routed?.deliveries[0]?.entries[0]?.MessageGroupId).toBe('INV-BUS-1');
    });

    it('routes nowhere an event whose source differs from the cell event source', async () => {
      // Prepare
      const bus = new EventBus(CELL_TOPOLOGY);
      const stage = stageAt(CELL_TOPOLOGY, 0);
      const foreign = busEvent(stage, 'someone.else', 'INV-BUS-2');

      // Act
      const [routed] = await bus.route([foreign]);

      // Assess
      expect(routed?.deliveries).toEqual([]);
    });

    it('routes the events of a topology whose event source is overridden, and not the default source', async () => {
      // Prepare
      const topology = buildTopology({ eventSource: 'acme.invoices' });
      const bus = new EventBus(topology);
      const stage = stageAt(topology, 0);
      const own = busEvent(stage, 'acme.invoices', 'INV-BUS-3');
      const defaultSource = busEvent(stage, CELL_TOPOLOGY.settings.eventSource, 'INV-BUS-4');

      // Act
      const routed = await bus.route([own, defaultSource]);

      // Assess
      expect(bus.rules[0]?.pattern).toEqual({ source: ['acme.invoices'], 'detail-type': [stage.detailType] });
      expect(routed.map((r) => r.deliveries.map((d) => d.stage.name))).toEqual([[stage.name], []]);
    });

    it('lets the compiled rule matcher decide, not a comparison of fields', async () => {
      // Prepare
      const bus = new EventBus(CELL_TOPOLOGY);
      const stage = stageAt(CELL_TOPOLOGY, 0);
      const rule = bus.rules[0];
      if (!rule) throw new Error('the topology has no stage');
      const matches = vi.spyOn(rule.matcher, 'matches').mockReturnValue(false);
      const event = busEvent(stage, CELL_TOPOLOGY.settings.eventSource, 'INV-BUS-5');

      // Act
      const [routed] = await bus.route([event]);

      // Assess
      expect(matches).toHaveBeenCalledWith(event);
      expect(routed?.deliveries).toEqual([]);
    });
  });
});
