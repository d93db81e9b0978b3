import type { CellTopology } from '../../../cells/topology.js';
import type { StuckInvoiceAnswer, StuckMessageAnswer } from '../../../schemas/api/index.js';
import {
  type AlarmReport,
  type ReconcileReport,
  STUCK_MESSAGE_KINDS,
  type StuckInvoice,
  type StuckMessage,
  type StuckReport,
} from '../backend.js';
import { optional } from './answer-fields.js';
import { contractAnswer } from './contract-answer.js';

/**
 * The local cell's monitoring answers (`GET /stuck`, `GET /reconcile`, `GET /alarms`) as the CLI's
 * reports. Each answer is checked against the HTTP contract first (`contractAnswer`, which throws
 * naming the fields that do not match); then exactly the contract's fields are read. Pure.
 *
 * @example
 * const report = parseStuckReport(answer.body, CELL_TOPOLOGY);
 */

function stuckInvoiceOf(s: StuckInvoiceAnswer): StuckInvoice {
  return {
    invoiceId: s.invoiceId,
    stage: s.stage,
    nextStage: s.nextStage,
    status: s.lastStatus,
    enteredAt: s.enteredAt,
    ageSec: s.ageSec,
    slaSec: s.slaSec,
    overdueSec: s.overdueSec,
    ...optional('vendorId', s.vendorId),
  };
}

/** A DLQ message names its invoice and event; a stage queue whose oldest message is too old says why. */
function stuckMessageOf(m: StuckMessageAnswer): StuckMessage {
  if (m.kind === 'dlq') {
    const { stage, invoiceId, eventId, ageSec, count } = m;
    return { stage, kind: STUCK_MESSAGE_KINDS.dlq, invoiceId, eventId, ageSec, count };
  }
  const { stage, ageSec, count, message } = m;
  return { stage, kind: STUCK_MESSAGE_KINDS.queueAge, ageSec, count, detail: message };
}

/**
 * Reads `GET /stuck`: business entries from `invoices`, technical entries from `messages` (a DLQ
 * message one by one, or a stage whose oldest message is too old). Entries of stages the CLI's
 * topology does not know are skipped. Pure.
 */
export function parseStuckReport(body: unknown, topology: CellTopology): StuckReport {
  const answer = contractAnswer('stuck', 200, body);
  const known = (stage: string) => topology.stages.some((s) => s.name === stage);
  return {
    generatedAt: answer.generatedAt,
    business: answer.invoices.filter((s) => known(s.stage)).map(stuckInvoiceOf),
    technical: answer.messages.filter((m) => known(m.stage)).map(stuckMessageOf),
    notes: answer.notes,
  };
}

/**
 * Reads `GET /reconcile`: per stage the `reconcile()` report of consumers/monitoring/reconcile.ts
 * (`missing` and `unexpected` list event ids there; the top-level `missing`/`unexpected` are their
 * counts and are not read), with the gap the ids give: accepted events accounted for nowhere. Pure.
 */
export function parseReconcileReport(body: unknown): ReconcileReport {
  const answer = contractAnswer('reconcile', 200, body);
  return {
    from: answer.from,
    to: answer.to,
    stages: answer.stages.map((s) => ({ ...s, gap: s.accepted - s.accounted })),
    balanced: answer.balanced,
    approximate: false,
    // Why some events could not be named (past the archive's retention, over the listing limits).
    notes: answer.notes,
  };
}

/**
 * Reads `GET /alarms`: every rule with its state (`alarms[]`, the rule id in `id`) and its
 * transitions (`transitions[]`, the rule id in `ruleId`); transitions before `sinceMs` are dropped.
 * Pure.
 */
export function parseAlarmReport(body: unknown, sinceMs: number): AlarmReport {
  const answer = contractAnswer('alarms', 200, body);
  return {
    alarms: answer.alarms.map((a) => ({
      name: a.id,
      state: a.state,
      title: a.title,
      reason: a.reason,
      since: a.since,
      severity: a.severity,
      ...optional('stage', a.stage),
    })),
    transitions: answer.transitions
      .filter((t) => t.atMs >= sinceMs)
      .map((t) => ({ name: t.ruleId, at: t.at, from: t.from, to: t.to, summary: t.reason })),
    notes: [],
  };
}
