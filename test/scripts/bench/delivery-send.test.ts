import { describe, expect, it } from 'vitest';
import { SampleEvents } from '../../../cells/local/sample-events.js';
import { CELL_TOPOLOGY, type StageTopology } from '../../../cells/topology.js';
import { planDeliveryEvents } from '../../../scripts/bench/delivery-send.js';

const stage = CELL_TOPOLOGY.stages[0] as StageTopology;
const samples = new SampleEvents(CELL_TOPOLOGY);

describe('planDeliveryEvents', () => {
  it("puts each invoice's event r in round r, so event r+1 is sent after event r was accepted", () => {
    // Prepare
    let n = 0;
    const newId = () => `00000000-0000-4000-8000-${String(n++).padStart(12, '0')}`;

    // Act: 7 events, 3 per invoice: invoices 0 and 1 have three, invoice 2 has one
    const plan = planDeliveryEvents(stage, samples, { events: 7, eventsPerInvoice: 3, run: 'r1' }, newId);

    // Assess
    expect(plan.rounds.map((round) => round.map((e) => e.invoiceId))).toEqual([
      ['DLV-r1-0', 'DLV-r1-1', 'DLV-r1-2'],
      ['DLV-r1-0', 'DLV-r1-1'],
      ['DLV-r1-0', 'DLV-r1-1'],
    ]);
    expect(plan.sent.size).toBe(7);
    for (const [r, round] of plan.rounds.entries()) {
      for (const event of round)
        expect(plan.sent.get(event.eventId)).toEqual({ invoiceId: event.invoiceId, index: r });
    }
  });
});
