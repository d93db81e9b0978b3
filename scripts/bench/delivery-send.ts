import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { SampleEvents } from '../../cells/local/sample-events.js';
import type { StageTopology } from '../../cells/topology.js';
import type { InvoiceEvent } from '../../schemas/types.js';
import { request } from './bench-http.js';
import type { SentEvent } from './delivery-tally.js';

/**
 * The delivery bench's traffic: `events` events of one stage over `ceil(events / perInvoice)`
 * invoices, sent in rounds (round r = every invoice's event r) so that an invoice's event r+1 is
 * sent only after its event r was accepted: the subscriber queue then holds each invoice's events
 * in send order, which the receiver checks.
 *
 * @example
 * const plan = planDeliveryEvents(stage, samples, { events: 500, eventsPerInvoice: 5 });
 * await sendRounds(port, apiKey, stage, plan.rounds, { senders: 16, batch: 10 });
 */
export interface DeliveryPlan {
  /** Every event by id, with its invoice and place in that invoice's order. */
  readonly sent: ReadonlyMap<string, SentEvent>;
  /** Round r holds event r of every invoice that has one. */
  readonly rounds: readonly (readonly InvoiceEvent[])[];
}

/** The events of a run, invoices `DLV-<run>-<n>`. Pure apart from the event ids (UUIDs). */
export function planDeliveryEvents(
  stage: StageTopology,
  samples: SampleEvents,
  options: { readonly events: number; readonly eventsPerInvoice: number; readonly run?: string },
  newId: () => string = randomUUID,
): DeliveryPlan {
  const run = options.run ?? newId().slice(0, 8);
  const sent = new Map<string, SentEvent>();
  const rounds: InvoiceEvent[][] = [];
  for (let k = 0; k < options.events; k++) {
    const invoiceId = `DLV-${run}-${Math.floor(k / options.eventsPerInvoice)}`;
    const index = k % options.eventsPerInvoice;
    const event = samples.event(stage, { invoiceId, eventId: newId() });
    sent.set(event.eventId, { invoiceId, index });
    const round = rounds[index] ?? [];
    round.push(event);
    rounds[index] = round;
  }
  return { sent, rounds };
}

const MAX_ATTEMPTS = 5;

/** Posts one batch until the cell accepts all of it (a retried event is a duplicate, not a new one). */
async function postBatch(port: number, apiKey: string, path: string, events: readonly InvoiceEvent[]) {
  const body = JSON.stringify(events.length === 1 ? events[0] : { events });
  let last = '';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const res = await request(port, apiKey, 'POST', path, body);
    if (res.status === 200) return;
    last = `HTTP ${res.status} ${res.body.slice(0, 200)}`;
    await delay(200 * attempt);
  }
  throw new Error(`the cell refused a batch ${MAX_ATTEMPTS} times: ${last}`);
}

/** Sends the rounds in order, each in batches of `batch` with `senders` requests in flight. */
export async function sendRounds(
  port: number,
  apiKey: string,
  stage: StageTopology,
  rounds: readonly (readonly InvoiceEvent[])[],
  options: { readonly senders: number; readonly batch: number },
): Promise<void> {
  for (const round of rounds) {
    const batches: InvoiceEvent[][] = [];
    for (let i = 0; i < round.length; i += options.batch) batches.push(round.slice(i, i + options.batch));
    let next = 0;
    const sender = async () => {
      while (next < batches.length) {
        const batch = batches[next++] as InvoiceEvent[];
        await postBatch(port, apiKey, stage.routePath, batch);
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.senders, batches.length) }, sender));
  }
}
