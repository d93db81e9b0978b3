import type { ReportFigure } from './report-types.js';

/** What the sentences name: the zone, the vendors listed, the first and last stage of the cell. */
export interface DefinitionOptions {
  readonly timeZone: string;
  readonly topVendors: number;
  /** Where invoices are received (the topology's first stage). */
  readonly firstStage: string;
  /** Where invoices are posted (the topology's last stage). */
  readonly lastStage: string;
}

/**
 * The `definitions` of a monthly report: one plain sentence per figure saying exactly what it
 * counts, so a reader never has to guess (and both stores are held to the same words). Pure.
 *
 * @example
 * reportDefinitions({ timeZone: 'Europe/Paris', topVendors: 10, firstStage: 'ingestion', lastStage: 'posting' }).received;
 */
export function reportDefinitions(o: DefinitionOptions): Record<ReportFigure, string> {
  const month = `the calendar month in ${o.timeZone}`;
  return {
    received:
      `Invoices received: distinct invoices whose latest ${o.firstStage} event (by business time, ` +
      `occurredAt, then event id) falls in ${month}; an invoice counts once, in the month of that event.`,
    valueReceived:
      `Value received: the sum, per currency, of the amount on each received invoice's latest ` +
      `${o.firstStage} event, exact in minor units; currencies are never added together.`,
    posted:
      `Value posted: distinct invoices whose latest ${o.lastStage} event falls in ${month} with status ` +
      `POSTED, and the sum of that event's amount; invoices whose latest ${o.lastStage} event has another ` +
      'status (FAILED, REVERSED) are listed beside it and not counted as posted.',
    open:
      'Value still open: invoices whose latest event over all stages (as stored at generation time) ' +
      'occurred before the as-of time and does not end the invoice (POSTED, or a terminal status such as ' +
      "REJECTED), with that event's amount, split by its status; an invoice that moved on after the " +
      'as-of time is counted at its newer event, in a later report, instead.',
    vendors:
      `By vendor: the received invoices and value per vendor (of the latest ${o.firstStage} event), the ` +
      `${o.topVendors} vendors with the highest value received by name (ties by invoices, then vendor ` +
      'id), the rest added up as "other vendors" with how many vendors they are.',
    paymentTerms:
      'Payment-terms mix: the received invoices counted by the net payment days on their latest ' +
      `${o.firstStage} event; "none" counts invoices whose event carried no payment terms.`,
    stuck:
      'Stuck past SLA: invoices that are, at generation time, still at a stage whose SLA deadline ' +
      'passed before the as-of time, per stage; read at generation time, so a report of an older month ' +
      'lists the invoices still stuck now that were already late at its end.',
    reconciliation:
      'Reconciliation: per stage, the events the API accepted in the month (by acceptance time, to the ' +
      'minute) against their records stored and their messages still queued or dead-lettered at ' +
      'generation time; balanced means every accepted event is accounted for and nothing unaccepted is stored.',
  };
}
