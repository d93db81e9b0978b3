import { type CellTopology, isStageName } from '../../../cells/topology.js';
import { isoFromMs } from '../../../schemas/time.js';
import {
  type AlarmReport,
  type AlarmState,
  type AlarmTransition,
  type ReconcileReport,
  type ReconcileStage,
  STUCK_MESSAGE_KINDS,
  type StuckInvoice,
  type StuckMessage,
  type StuckReport,
  type TimeWindow,
} from '../backend.js';
import {
  asArray,
  asRecord,
  firstArray,
  notesOf,
  num,
  optional,
  stageOf,
  str,
  timeOf,
} from './answer-fields.js';

/**
 * Technical kinds of the local cell's `GET /stuck` (`dlq`, `oldest-message`; cells/local/monitoring-plugin.ts),
 * of consumers/monitoring/stuck.ts and of this CLI's contract.
 */
const MESSAGE_KINDS: Readonly<Record<string, StuckMessage['kind']>> = {
  dlq: STUCK_MESSAGE_KINDS.dlq,
  'dlq-not-empty': STUCK_MESSAGE_KINDS.dlq,
  'relay-dlq': STUCK_MESSAGE_KINDS.relayDlq,
  'queue-age': STUCK_MESSAGE_KINDS.queueAge,
  'oldest-message': STUCK_MESSAGE_KINDS.queueAge,
  'oldest-message-too-old': STUCK_MESSAGE_KINDS.queueAge,
};

/**
 * Reads `GET /stuck`. Business entries are `findStuckInvoices` rows (consumers/monitoring/stuck.ts:
 * `invoiceId, stage, nextStage, lastStatus, enteredAtMs, ageSec, slaSec, overdueSec`), technical
 * entries `findStuckMessages` issues (`stage, kind, value, threshold, message`) or per-message rows
 * (`stage, kind: 'dlq', invoiceId, eventId, ageSec`). Lists may be named `business`/`stuckInvoices`
 * and `technical`/`stuckMessages`. Unknown stages and kinds are skipped. Pure.
 */
export function parseStuckReport(
  body: Record<string, unknown>,
  topology: CellTopology,
  nowMs: number,
): StuckReport {
  const business: StuckInvoice[] = [];
  for (const raw of firstArray(body, 'business', 'stuckInvoices', 'invoices')) {
    const b = asRecord(raw);
    const stage = stageOf(b.stage, topology);
    const invoiceId = str(b.invoiceId);
    if (!stage || !invoiceId) continue;
    const slaSec = num(b.slaSec, topology.stages.find((s) => s.name === stage)?.slaSec ?? 0);
    const ageSec = num(b.ageSec);
    business.push({
      invoiceId,
      stage,
      ...optional('nextStage', str(b.nextStage)),
      status: str(b.status) ?? str(b.lastStatus) ?? '',
      enteredAt: timeOf(b.enteredAt, b.enteredAtMs) ?? str(b.lastEventAt) ?? '',
      ageSec,
      slaSec,
      overdueSec: num(b.overdueSec, ageSec - slaSec),
      ...optional('vendorId', str(b.vendorId)),
    });
  }
  const technical: StuckMessage[] = [];
  for (const raw of firstArray(body, 'technical', 'stuckMessages', 'messages')) {
    const t = asRecord(raw);
    const stage = stageOf(t.stage, topology);
    const kind = MESSAGE_KINDS[str(t.kind) ?? ''];
    if (!stage || !kind) continue;
    const value = typeof t.value === 'number' ? t.value : undefined;
    const ageSec =
      typeof t.ageSec === 'number' ? t.ageSec : kind === STUCK_MESSAGE_KINDS.queueAge ? value : undefined;
    technical.push({
      stage,
      kind,
      ...optional('invoiceId', str(t.invoiceId)),
      ...optional('eventId', str(t.eventId)),
      ...optional('ageSec', ageSec),
      count: num(t.count, kind === STUCK_MESSAGE_KINDS.queueAge ? 1 : (value ?? 1)),
      ...optional('detail', str(t.detail) ?? str(t.message)),
    });
  }
  return {
    generatedAt: timeOf(body.generatedAt, body.generatedAtMs) ?? isoFromMs(nowMs),
    business,
    technical,
    notes: notesOf(body),
  };
}

/**
 * Reads `GET /reconcile`: the `reconcile()` report of consumers/monitoring/reconcile.ts (per stage
 * `accepted, stored, inDlq, inFlight, accounted, missing[], unexpected[], balanced`). A `gap` or
 * `missingEventIds` field is read too; what is absent is computed from the counts. Pure.
 */
export function parseReconcileReport(body: Record<string, unknown>, window: TimeWindow): ReconcileReport {
  const ids = (value: unknown) => asArray(value).filter((id): id is string => typeof id === 'string');
  const stages: ReconcileStage[] = asArray(body.stages).flatMap((raw) => {
    const s = asRecord(raw);
    const stage = str(s.stage);
    if (!stage || !isStageName(stage)) return [];
    const accepted = num(s.accepted);
    const stored = num(s.stored);
    const inDlq = num(s.inDlq);
    const inFlight = num(s.inFlight);
    const missing = ids(Array.isArray(s.missing) ? s.missing : s.missingEventIds);
    const unexpected = ids(s.unexpected);
    const accounted = num(s.accounted, accepted - missing.length);
    const gap =
      typeof s.gap === 'number'
        ? s.gap
        : Array.isArray(s.missing) || typeof s.accounted === 'number'
          ? accepted - accounted
          : accepted - stored - inDlq - inFlight;
    const balanced = typeof s.balanced === 'boolean' ? s.balanced : gap === 0 && unexpected.length === 0;
    return [{ stage, accepted, stored, inDlq, inFlight, accounted, gap, missing, unexpected, balanced }];
  });
  return {
    from: timeOf(body.from, body.fromMs) ?? isoFromMs(window.fromMs),
    to: timeOf(body.to, body.toMs) ?? isoFromMs(window.toMs),
    stages,
    balanced: typeof body.balanced === 'boolean' ? body.balanced : stages.every((s) => s.balanced),
    approximate: false,
    notes: notesOf(body),
  };
}

/**
 * Reads `GET /alarms`: rules with their state (`{ id|name, title?, severity?, stage?, state: 'ALARM'
 * | { value, sinceMs, reason } }`) and transitions (`{ ruleId|name, from, to, atMs|at, reason? }`,
 * the alarm evaluator's shape); transitions before `sinceMs` are dropped. Pure.
 */
export function parseAlarmReport(body: Record<string, unknown>, sinceMs: number): AlarmReport {
  const alarms: AlarmState[] = firstArray(body, 'alarms', 'rules').flatMap((raw) => {
    const a = asRecord(raw);
    const nested = asRecord(a.state);
    const name = str(a.name) ?? str(a.id) ?? str(a.ruleId);
    const state = str(a.state) ?? str(nested.value) ?? str(a.value);
    if (!name || !state) return [];
    return [
      {
        name,
        state,
        ...optional('title', str(a.title)),
        ...optional('reason', str(a.reason) ?? str(nested.reason)),
        ...optional('since', timeOf(a.since, a.sinceMs ?? nested.sinceMs)),
        ...optional('severity', str(a.severity)),
        ...optional('stage', str(a.stage)),
      },
    ];
  });
  const transitions: AlarmTransition[] = firstArray(body, 'transitions', 'history').flatMap((raw) => {
    const t = asRecord(raw);
    const name = str(t.name) ?? str(t.ruleId) ?? str(t.id);
    const at = timeOf(t.at, t.atMs);
    if (!name || !at || Date.parse(at) < sinceMs) return [];
    return [
      {
        name,
        at,
        ...optional('from', str(t.from)),
        ...optional('to', str(t.to)),
        summary: str(t.summary) ?? str(t.reason) ?? `${str(t.from) ?? '?'} -> ${str(t.to) ?? '?'}`,
      },
    ];
  });
  return { alarms, transitions, notes: notesOf(body) };
}
