import { CELL_TOPOLOGY, type StageTopology } from '../../../../../cells/topology.js';
import { INVOICE_MEASURE_NAME, type InvoiceRecord } from '../../../../../consumers/record.js';

const [firstStage] = CELL_TOPOLOGY.stages as [StageTopology];
export const T0 = Date.parse('2026-11-20T09:00:00Z');

export /** A record builder with defaults for what a test does not care about. */
function record(overrides: {
  eventId: string;
  invoiceId?: string;
  stage?: StageTopology;
  timeMs?: number;
  amountMinor?: string;
  currency?: string;
  status?: string;
}): InvoiceRecord {
  return {
    measureName: INVOICE_MEASURE_NAME,
    timeMs: overrides.timeMs ?? T0,
    version: 1,
    dimensions: {
      cell: 'local',
      region: 'local',
      stage: (overrides.stage ?? firstStage).name,
      invoiceId: overrides.invoiceId ?? 'INV-1',
      eventId: overrides.eventId,
      vendorId: 'V-1',
      currency: overrides.currency ?? 'USD',
    },
    measures: {
      status: overrides.status ?? 'RECEIVED',
      amountMinor: overrides.amountMinor ?? '1250000',
      vendorName: 'Acme',
      receivedAtMs: T0 + 5_000,
      dueDateMs: null,
      paymentTermsDays: null,
    },
  };
}
