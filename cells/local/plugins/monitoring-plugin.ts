import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type AlarmState,
  type AlarmStateValue,
  type AlarmTransition,
  evaluateAlarms,
  evaluateComposite,
  initialAlarmState,
} from '../../../consumers/monitoring/alarm-evaluator.js';
import { createAlarmNotifier } from '../../../consumers/monitoring/alarm-notifier.js';
import { buildAlarmReadings, type StageSignalInputs } from '../../../consumers/monitoring/alarm-readings.js';
import { type ReconcileReport, reconcile } from '../../../consumers/monitoring/reconcile.js';
import {
  countStuckByStage,
  findStuckInvoices,
  findStuckMessages,
  type LatestByInvoiceRow,
  latestFromRows,
  STUCK_MESSAGE_KINDS,
  type StuckInvoice,
} from '../../../consumers/monitoring/stuck.js';
import {
  buildDashboards,
  type Dashboard,
  type Panel,
  type QueueMetric,
} from '../../../dashboards/panels/panels.js';
import {
  type AlarmRule,
  type AlarmSignal,
  deriveAlarmRules,
  deriveCellUnhealthy,
} from '../../alarm-rules.js';
import type { CellTopology, StageName } from '../../topology.js';
import { LATENCY_BUCKETS_SEC, type LatencyHistogram } from '../engine/engine.js';
import type { LocalCellContext, LocalCellPlugin } from '../local-cell.js';
import { type CellStats, histogramQuantile, type StageStats } from '../monitoring/cell-stats.js';
import { runLocalPanel } from '../monitoring/panel-runner.js';
import { type DatabaseHandle, runWrite } from '../storage/db.js';
import { localLatestByInvoiceSql, localReconcileInputs } from '../storage/monitoring-queries.js';

/**
 * The local cell's monitoring routes and its alarm loop, over the pure monitoring core
 * (consumers/monitoring, cells/alarm-rules.ts, dashboards/): `GET /stuck`, `GET /reconcile`,
 * `GET /alarms`, `GET /dashboards` and `GET /dashboards/:view/data`. `npm start` runs it
 * (`DEFAULT_PLUGINS`); `--alarm-webhook <url>` adds a webhook to the log notifier.
 *
 * Alarm loop: every `evaluationIntervalMs` (10 s) the cell's live stats, per-period deltas of its
 * counters and the stuck-invoice counts become readings (`buildAlarmReadings`), `evaluateAlarms`
 * applies the rules, and transitions are stored, then notified. It runs once while the plugin
 * registers, so `/alarms` always has states.
 *
 * Transitions are stored in the cell database (`alarm_transitions`), not in a JSONL file: they are
 * rare (state changes only), each batch is one short `INSERT` through `runWrite` (`BEGIN
 * IMMEDIATE`, asynchronous retry while the engine holds the lock, as the API thread's other rare
 * writes do), and the history then shares the cell's durability, backups and lock with no second
 * file to fsync, rotate or repair after a torn last line. A batch that cannot be written (busy for
 * too long) stays in memory and is retried on the next tick; `/alarms` shows it meanwhile. On
 * start the latest stored state of each rule is restored, so a restart does not re-announce
 * every rule going from INSUFFICIENT_DATA to OK.
 *
 * @example
 * await startLocalCell({ dataDir, plugins: [monitoringPlugin({ webhookUrl: 'https://hooks.example.com/a' })] });
 * // GET /alarms -> { cellUnhealthy: 'OK', alarms: [...], transitions: [...] }
 */
export interface MonitoringPluginOptions {
  /** http(s) URL that receives `POST {cell, transitions}` on every alarm state change. */
  readonly webhookUrl?: string;
  /** Between alarm evaluations. @default 10000 */
  readonly evaluationIntervalMs?: number;
  /**
   * Evaluates every rule with this period (seconds) instead of its own (60 s, 300 s for stuck
   * invoices). The evaluator judges a rule at most once per period, so tests that want an alarm
   * within a second set it; a running cell leaves it unset.
   */
  readonly rulePeriodSecOverride?: number;
  /** How far back `/stuck` and the stuck-invoice alarm look for unfinished invoices. @default 7 days */
  readonly stuckLookbackSec?: number;
  /** Injected for tests; the global `fetch` otherwise. */
  readonly fetch?: typeof fetch;
}

/** Bad monitoring plugin options (a webhook that is not http(s), a zero interval). */
export class MonitoringOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MonitoringOptionsError';
  }
}

const DEFAULT_EVALUATION_INTERVAL_MS = 10_000;
const DEFAULT_STUCK_LOOKBACK_SEC = 7 * 86_400;
const DEFAULT_WINDOW_MS = 86_400_000;
/** Transitions `/alarms` lists. */
const TRANSITIONS_LISTED = 200;
/** Transitions kept in the table; older ones are pruned with each insert. */
const TRANSITIONS_KEPT = 10_000;
/** DLQ messages listed one by one per stage in `/stuck`. */
const DLQ_MESSAGES_LISTED = 100;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
const CELL_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Throws {@link MonitoringOptionsError} unless `url` is an absolute http(s) URL. */
export function assertWebhookUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MonitoringOptionsError(
      `alarm webhook must be an absolute http(s) URL, got ${JSON.stringify(url)}`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new MonitoringOptionsError(`alarm webhook must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
}

// ---- answers -------------------------------------------------------------------------------

export interface StuckInvoiceAnswer {
  readonly invoiceId: string;
  readonly stage: StageName;
  readonly nextStage: StageName;
  readonly lastStatus: string;
  readonly enteredAt: string;
  readonly enteredAtMs: number;
  readonly ageSec: number;
  readonly overdueSec: number;
  readonly slaSec: number;
  readonly vendorId?: string;
}

export type StuckMessageAnswer =
  | {
      readonly stage: StageName;
      readonly kind: 'dlq';
      readonly messageId: string;
      readonly invoiceId: string;
      readonly eventId: string;
      readonly receiveCount: number;
      readonly sentAt: string;
      readonly deadLetteredAt: string | null;
      /** Since the message was sent to the stage queue. */
      readonly ageSec: number;
      readonly count: 1;
    }
  | {
      readonly stage: StageName;
      readonly kind: 'oldest-message';
      readonly ageSec: number;
      readonly value: number;
      readonly threshold: number;
      readonly count: 1;
      readonly message: string;
    };

export interface StuckAnswer {
  readonly generatedAt: string;
  readonly invoices: readonly StuckInvoiceAnswer[];
  readonly messages: readonly StuckMessageAnswer[];
  readonly notes: readonly string[];
}

export interface ReconcileAnswer extends ReconcileReport {
  readonly from: string;
  readonly to: string;
}

export interface AlarmAnswer {
  readonly id: string;
  readonly title: string;
  readonly stage?: StageName;
  readonly severity: string;
  readonly state: AlarmStateValue;
  /** The last reading; null when it was missing or the rule was not evaluated yet. */
  readonly value: number | null;
  readonly threshold: number;
  readonly since: string;
  readonly reason: string;
}

export interface TransitionAnswer {
  readonly ruleId: string;
  readonly title?: string;
  readonly severity?: string;
  readonly stage?: string;
  readonly from: AlarmStateValue;
  readonly to: AlarmStateValue;
  readonly atMs: number;
  readonly at: string;
  readonly value: number | null;
  readonly threshold: number;
  readonly reason: string;
}

export interface AlarmsAnswer {
  readonly generatedAt: string;
  /** State of the composite "cell unhealthy" alarm. */
  readonly cellUnhealthy: 'OK' | 'ALARM';
  /** Critical rules in ALARM (what makes the cell unhealthy). */
  readonly cellUnhealthyAlarming: readonly string[];
  readonly alarms: readonly AlarmAnswer[];
  /** Newest first. */
  readonly transitions: readonly TransitionAnswer[];
}

export type PanelData =
  | ({ readonly rows: readonly unknown[] } & Record<string, unknown>)
  | { readonly error: string };

// ---- query parameters ----------------------------------------------------------------------

/** A bad query parameter or unknown view; the cell's error handler answers `statusCode` with the message. */
export class MonitoringRequestError extends Error {
  readonly statusCode: number;
  constructor(statusCode: 400 | 404, message: string) {
    super(message);
    this.name = 'MonitoringRequestError';
    this.statusCode = statusCode;
  }
}

function queryOf(request: FastifyRequest): Record<string, unknown> {
  return (request.query ?? {}) as Record<string, unknown>;
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw new MonitoringRequestError(400, `query parameter ${name} must be given once`);
  return value;
}

function stageQuery(query: Record<string, unknown>, topology: CellTopology): StageName | undefined {
  const value = single(query, 'stage');
  if (value === undefined || value === '') return undefined;
  const stage = topology.stages.find((s) => s.name === value);
  if (!stage) {
    throw new MonitoringRequestError(
      400,
      `stage must be one of ${topology.stages.map((s) => s.name).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return stage.name;
}

function timeQuery(query: Record<string, unknown>, name: string): number | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!RFC3339.test(value) || Number.isNaN(ms)) {
    throw new MonitoringRequestError(
      400,
      `${name} must be an RFC 3339 time like 2026-11-20T09:00:00Z, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** `from`/`to` of a window; the last 24 h by default. */
function windowQuery(query: Record<string, unknown>, nowMs: number): { fromMs: number; toMs: number } {
  const toMs = timeQuery(query, 'to') ?? nowMs;
  const fromMs = timeQuery(query, 'from') ?? toMs - DEFAULT_WINDOW_MS;
  if (fromMs >= toMs) {
    throw new MonitoringRequestError(400, `from must be before to, got from=${iso(fromMs)} to=${iso(toMs)}`);
  }
  return { fromMs, toMs };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---- counters between evaluations ------------------------------------------------------------

interface CounterSample {
  readonly atMs: number;
  readonly stages: ReadonlyMap<string, { processed: number; failures: number; latency: LatencyHistogram }>;
  readonly apiAnswers: number;
  readonly api5xx: number;
}

/** Processing failures that count against the error rate: a message held behind a failed one is not an error. */
function failuresOf(s: StageStats): number {
  return s.failures.invalid + s.failures.rejected + s.failures.transient;
}

function latencyDelta(now: LatencyHistogram, base: LatencyHistogram | undefined): LatencyHistogram {
  if (!base) return now;
  return {
    buckets: now.buckets.map((n, i) => n - (base.buckets[i] ?? 0)),
    count: now.count - base.count,
    sumSec: now.sumSec - base.sumSec,
  };
}

/** p99 of a histogram delta; beyond the last bucket it is reported as the last bound (a lower bound). */
function p99Of(h: LatencyHistogram): number | null {
  const q = histogramQuantile(h, 0.99);
  if (q === null) return null;
  return Number.isFinite(q) ? q : (LATENCY_BUCKETS_SEC[LATENCY_BUCKETS_SEC.length - 1] as number);
}

// ---- the plugin ----------------------------------------------------------------------------

export interface TransitionRow {
  readonly rule_id: string;
  readonly from_state: AlarmStateValue;
  readonly to_state: AlarmStateValue;
  readonly at_ms: number;
  readonly value: number | null;
  readonly threshold: number;
  readonly reason: string;
}

interface DlqRow {
  readonly message_id: string;
  readonly group_id: string;
  readonly dedup_id: string;
  readonly sent_at_ms: number;
  readonly receive_count: number;
  readonly dead_lettered_at_ms: number | null;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS alarm_transitions (
  id INTEGER PRIMARY KEY,
  rule_id TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  value REAL,
  threshold REAL NOT NULL,
  reason TEXT NOT NULL
)`;

const SIGNALS_WITH_DELTAS: ReadonlySet<AlarmSignal> = new Set([
  'latencyP99Sec',
  'errorRatePct',
  'apiErrorRatePct',
]);

/**
 * The monitoring routes and alarm loop as a {@link LocalCellPlugin}. Throws
 * {@link MonitoringOptionsError} for bad options.
 */
export function monitoringPlugin(options: MonitoringPluginOptions = {}): LocalCellPlugin {
  if (options.webhookUrl !== undefined) assertWebhookUrl(options.webhookUrl);
  const intervalMs = options.evaluationIntervalMs ?? DEFAULT_EVALUATION_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < 10) {
    throw new MonitoringOptionsError(`evaluationIntervalMs must be an integer ≥ 10, got ${intervalMs}`);
  }
  const override = options.rulePeriodSecOverride;
  if (override !== undefined && !(Number.isFinite(override) && override > 0)) {
    throw new MonitoringOptionsError(`rulePeriodSecOverride must be a positive number, got ${override}`);
  }
  const lookbackSec = options.stuckLookbackSec ?? DEFAULT_STUCK_LOOKBACK_SEC;
  if (!Number.isInteger(lookbackSec) || lookbackSec <= 0) {
    throw new MonitoringOptionsError(`stuckLookbackSec must be a positive integer, got ${lookbackSec}`);
  }
  return (app, ctx) => registerMonitoring(app, ctx, { ...options, intervalMs, lookbackSec });
}

async function registerMonitoring(
  app: FastifyInstance,
  ctx: LocalCellContext,
  options: MonitoringPluginOptions & { intervalMs: number; lookbackSec: number },
): Promise<void> {
  const { topology, db, clock } = ctx;
  const logger = ctx.logger.child({ component: 'monitoring' });
  const rules: AlarmRule[] = deriveAlarmRules(topology).map((r) =>
    options.rulePeriodSecOverride === undefined ? r : { ...r, periodSec: options.rulePeriodSecOverride },
  );
  const ruleById = new Map(rules.map((r) => [r.id, r]));
  const composite = deriveCellUnhealthy(rules);
  const dashboards: readonly Dashboard[] = buildDashboards(topology);
  const notifier = createAlarmNotifier({
    logger,
    cell: ctx.cellName,
    ...(options.webhookUrl !== undefined ? { webhookUrl: options.webhookUrl } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  });

  // The engine is not running yet while plugins register, so this DDL meets no other writer.
  await runWrite(db.transaction(() => db.exec(CREATE_TABLE)));
  const insertTransition = db.prepare(
    `INSERT INTO alarm_transitions (rule_id, from_state, to_state, at_ms, value, threshold, reason)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const pruneTransitions = db.prepare(
    'DELETE FROM alarm_transitions WHERE id <= (SELECT max(id) FROM alarm_transitions) - ?',
  );
  const selectTransitions = db.prepare<[number, number], TransitionRow>(
    `SELECT rule_id, from_state, to_state, at_ms, value, threshold, reason FROM alarm_transitions
     WHERE at_ms >= ? ORDER BY id DESC LIMIT ?`,
  );
  const selectLatestPerRule = db.prepare<[], TransitionRow>(
    `SELECT rule_id, from_state, to_state, at_ms, value, threshold, reason FROM alarm_transitions
     WHERE id IN (SELECT max(id) FROM alarm_transitions GROUP BY rule_id)`,
  );
  const selectDlq = db.prepare<[string, number], DlqRow>(
    `SELECT m.message_id, m.group_id, m.dedup_id, m.sent_at_ms, m.receive_count, m.dead_lettered_at_ms
     FROM messages AS m JOIN queues AS q ON q.id = m.queue_id
     WHERE q.name = ? ORDER BY m.seq LIMIT ?`,
  );
  const selectLatestByInvoice = db.prepare<{ fromMs: number; cell: string | null }, LatestByInvoiceRow>(
    localLatestByInvoiceSql(topology),
  );

  // Restore the last known state of each rule; without a lastEvaluatedAtMs it is evaluated at once.
  let states = new Map<string, AlarmState>();
  for (const row of selectLatestPerRule.all()) {
    const rule = ruleById.get(row.rule_id);
    if (!rule) continue;
    states.set(rule.id, {
      value: row.to_state,
      breachingStreak: row.to_state === 'ALARM' ? rule.evaluationPeriods : 0,
      sinceMs: row.at_ms,
      ...(row.value !== null ? { lastReading: row.value } : {}),
      reason: row.reason,
    });
  }
  let pending: AlarmTransition[] = [];

  const persist = async (transitions: readonly AlarmTransition[]): Promise<void> => {
    pending = [...pending, ...transitions];
    if (pending.length === 0) return;
    const batch = pending;
    try {
      await runWrite(
        db.transaction(() => {
          for (const t of batch) {
            insertTransition.run(t.ruleId, t.from, t.to, t.atMs, t.value ?? null, t.threshold, t.reason);
          }
          pruneTransitions.run(TRANSITIONS_KEPT);
        }),
        2_000,
      );
      pending = pending.slice(batch.length);
    } catch (error) {
      logger.error('could not store alarm transitions; kept in memory and retried', {
        error: errorText(error),
        pending: pending.length,
      });
    }
  };

  // API answers for the 5xx rate: this plugin's own hook, on the cell's root instance.
  let apiAnswers = 0;
  let api5xx = 0;
  app.addHook('onResponse', async (_request, reply) => {
    apiAnswers++;
    if (reply.statusCode >= 500) api5xx++;
  });

  const stuckInvoices = (nowMs: number): StuckInvoice[] => {
    const rows = selectLatestByInvoice.all({ fromMs: nowMs - options.lookbackSec * 1000, cell: null });
    return findStuckInvoices(latestFromRows(rows), topology, nowMs);
  };

  // Counter samples: deltas are taken over the shortest period of the rules that need them.
  const deltaWindowMs =
    Math.min(...rules.filter((r) => SIGNALS_WITH_DELTAS.has(r.signal)).map((r) => r.periodSec)) * 1000;
  let samples: CounterSample[] = [];
  const stuckRule = rules.find((r) => r.signal === 'stuckInvoices');
  let stuckCache: { atMs: number; counts: Map<StageName, number> } | undefined;

  const evaluateOnce = async (): Promise<void> => {
    const stats = await ctx.stats();
    const nowMs = clock.now();
    const sample: CounterSample = {
      atMs: nowMs,
      stages: new Map(
        Object.entries(stats.stages).map(([name, s]) => [
          name,
          { processed: s.processed, failures: failuresOf(s), latency: s.latency },
        ]),
      ),
      apiAnswers,
      api5xx,
    };
    // Baseline: the newest sample at least one window old, else the oldest one kept.
    const base = [...samples].reverse().find((s) => s.atMs <= nowMs - deltaWindowMs) ?? samples[0];
    samples = [...samples.filter((s) => s.atMs >= nowMs - 2 * deltaWindowMs), sample];

    // The stuck check is a store scan: run it at most once per stuck-rule period.
    if (!stuckCache || !stuckRule || nowMs - stuckCache.atMs >= stuckRule.periodSec * 1000 - 1) {
      stuckCache = { atMs: nowMs, counts: countStuckByStage(stuckInvoices(nowMs), topology) };
    }
    const stages: Record<string, StageSignalInputs> = {};
    for (const stage of topology.stages) {
      const s = stats.stages[stage.name];
      if (!s) continue;
      const now = sample.stages.get(stage.name);
      const before = base?.stages.get(stage.name);
      const latency = now ? latencyDelta(now.latency, before?.latency) : undefined;
      stages[stage.name] = {
        queueDepth: s.visible,
        oldestMessageAgeSec: s.oldestMessageAgeSec,
        dlqDepth: s.inDlq,
        latencyP99Sec: latency ? p99Of(latency) : null,
        processed: (now?.processed ?? 0) - (before?.processed ?? 0),
        failures: (now?.failures ?? 0) - (before?.failures ?? 0),
        ...(stuckCache.counts.has(stage.name) ? { stuckInvoices: stuckCache.counts.get(stage.name) } : {}),
      };
    }
    const readings = buildAlarmReadings(topology, {
      stages,
      // The local relay and bus run inside the ingest transaction: a failure fails the request.
      relayDlqDepth: 0,
      busDlqDepth: 0,
      apiAnswers: apiAnswers - (base?.apiAnswers ?? 0),
      api5xx: api5xx - (base?.api5xx ?? 0),
    });
    const evaluation = evaluateAlarms(rules, readings, states, nowMs);
    states = evaluation.states;
    await persist(evaluation.transitions);
    await notifier.notify(evaluation.transitions);
  };

  let running: Promise<void> | undefined;
  let closed = false;
  const evaluate = (): Promise<void> => {
    running ??= evaluateOnce()
      .catch((error: unknown) => logger.error('alarm evaluation failed', { error: errorText(error) }))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  await evaluate();
  const timer = setInterval(() => {
    if (!closed) void evaluate();
  }, options.intervalMs);
  timer.unref();
  app.addHook('onClose', async () => {
    closed = true;
    clearInterval(timer);
    await running;
  });

  // ---- answers ----

  const stuckAnswer = async (stage: StageName | undefined): Promise<StuckAnswer> => {
    const nowMs = clock.now();
    const invoices = stuckInvoices(nowMs)
      .filter((s) => stage === undefined || s.stage === stage)
      .map(
        (s): StuckInvoiceAnswer => ({
          invoiceId: s.invoiceId,
          stage: s.stage,
          nextStage: s.nextStage,
          lastStatus: s.lastStatus,
          enteredAt: iso(s.enteredAtMs),
          enteredAtMs: s.enteredAtMs,
          ageSec: s.ageSec,
          overdueSec: s.overdueSec,
          slaSec: s.slaSec,
          ...(s.vendorId !== undefined ? { vendorId: s.vendorId } : {}),
        }),
      );
    const stats = await ctx.stats();
    const queueStats = Object.fromEntries(
      Object.entries(stats.stages).map(([name, s]) => [
        name,
        { dlqDepth: s.inDlq, oldestMessageAgeSec: s.oldestMessageAgeSec },
      ]),
    );
    const messages: StuckMessageAnswer[] = [];
    const notes: string[] = [];
    for (const issue of findStuckMessages(queueStats, topology)) {
      if (stage !== undefined && issue.stage !== stage) continue;
      if (issue.kind === STUCK_MESSAGE_KINDS.oldestMessageTooOld) {
        messages.push({
          stage: issue.stage,
          kind: 'oldest-message',
          ageSec: issue.value,
          value: issue.value,
          threshold: issue.threshold,
          count: 1,
          message: issue.message,
        });
        continue;
      }
      const dlqName = topology.stages.find((s) => s.name === issue.stage)?.ids.dlq ?? '';
      const rows = selectDlq.all(dlqName, DLQ_MESSAGES_LISTED);
      for (const r of rows) {
        messages.push({
          stage: issue.stage,
          kind: 'dlq',
          messageId: r.message_id,
          invoiceId: r.group_id,
          eventId: r.dedup_id,
          receiveCount: r.receive_count,
          sentAt: iso(r.sent_at_ms),
          deadLetteredAt: r.dead_lettered_at_ms === null ? null : iso(r.dead_lettered_at_ms),
          ageSec: Math.max(0, Math.floor((nowMs - r.sent_at_ms) / 1000)),
          count: 1,
        });
      }
      if (issue.value > rows.length) {
        notes.push(
          `${issue.stage} DLQ holds ${issue.value} messages; the first ${rows.length} are listed (GET /dlq/${issue.stage} for more)`,
        );
      }
    }
    return { generatedAt: iso(nowMs), invoices, messages, notes };
  };

  const reconcileAnswer = (fromMs: number, toMs: number): ReconcileAnswer => {
    const report = reconcile({ fromMs, toMs }, localReconcileInputs(db, topology, fromMs, toMs));
    return { ...report, from: iso(fromMs), to: iso(toMs) };
  };

  const alarmsAnswer = (sinceMs: number): AlarmsAnswer => {
    const nowMs = clock.now();
    const cell = evaluateComposite(composite, states);
    const alarms = rules.map((rule): AlarmAnswer => {
      const state = states.get(rule.id) ?? initialAlarmState(nowMs);
      return {
        id: rule.id,
        title: rule.title,
        ...(rule.stage !== undefined ? { stage: rule.stage } : {}),
        severity: rule.severity,
        state: state.value,
        value: state.lastReading ?? null,
        threshold: rule.threshold,
        since: iso(state.sinceMs),
        reason: state.reason,
      };
    });
    const answerOf = (t: {
      ruleId: string;
      from: AlarmStateValue;
      to: AlarmStateValue;
      atMs: number;
      value: number | null;
      threshold: number;
      reason: string;
    }): TransitionAnswer => {
      const rule = ruleById.get(t.ruleId);
      return {
        ...t,
        ...(rule ? { title: rule.title, severity: rule.severity } : {}),
        ...(rule?.stage !== undefined ? { stage: rule.stage } : {}),
        at: iso(t.atMs),
      };
    };
    const unstored = pending
      .filter((t) => t.atMs >= sinceMs)
      .map((t) => answerOf({ ...t, value: t.value ?? null }))
      .reverse();
    const stored = selectTransitions.all(sinceMs, TRANSITIONS_LISTED).map((r) =>
      answerOf({
        ruleId: r.rule_id,
        from: r.from_state,
        to: r.to_state,
        atMs: r.at_ms,
        value: r.value,
        threshold: r.threshold,
        reason: r.reason,
      }),
    );
    return {
      generatedAt: iso(nowMs),
      cellUnhealthy: cell.value,
      cellUnhealthyAlarming: cell.alarming,
      alarms,
      transitions: [...unstored, ...stored].slice(0, TRANSITIONS_LISTED),
    };
  };

  // ---- routes ----

  app.get('/stuck', async (request) => stuckAnswer(stageQuery(queryOf(request), topology)));

  app.get('/reconcile', async (request) => {
    const { fromMs, toMs } = windowQuery(queryOf(request), clock.now());
    return reconcileAnswer(fromMs, toMs);
  });

  app.get('/alarms', async (request) => {
    const raw = single(queryOf(request), 'historySec');
    let sinceMs = 0;
    if (raw !== undefined) {
      const historySec = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(historySec) || historySec < 1) {
        throw new MonitoringRequestError(
          400,
          `historySec must be a positive integer, got ${JSON.stringify(raw)}`,
        );
      }
      sinceMs = clock.now() - historySec * 1000;
    }
    return alarmsAnswer(sinceMs);
  });

  app.get('/dashboards', async () =>
    dashboards.map((d) => ({
      id: d.id,
      title: d.title,
      description: d.description,
      panels: d.panels.map((p) => ({
        id: p.id,
        title: p.title,
        unit: p.unit,
        chart: p.chart,
        source: p.query.source,
        ...(p.description !== undefined ? { description: p.description } : {}),
      })),
    })),
  );

  app.get('/dashboards/:view/data', async (request) => {
    const view = (request.params as { view?: string }).view ?? '';
    const dashboard = dashboards.find((d) => d.id === view);
    if (!dashboard) {
      throw new MonitoringRequestError(
        404,
        `unknown dashboard ${JSON.stringify(view)}; known: ${dashboards.map((d) => d.id).join(', ')}`,
      );
    }
    const query = queryOf(request);
    const nowMs = clock.now();
    const { fromMs, toMs } = windowQuery(query, nowMs);
    const stage = stageQuery(query, topology);
    const cell = single(query, 'cell');
    if (cell !== undefined && !CELL_NAME.test(cell)) {
      throw new MonitoringRequestError(
        400,
        `cell must be a cell name (letters, digits, . _ -), got ${JSON.stringify(cell)}`,
      );
    }
    const panels: Record<string, PanelData> = {};
    let stats: CellStats | undefined;
    for (const panel of dashboard.panels) {
      try {
        panels[panel.id] = await panelData(panel);
      } catch (error) {
        logger.warn('dashboard panel failed', { panel: panel.id, error: errorText(error) });
        panels[panel.id] = { error: errorText(error) };
      }
    }
    return { view, from: iso(fromMs), to: iso(toMs), panels };

    async function panelData(panel: Panel): Promise<PanelData> {
      const { query: q } = panel;
      const keep = (s: string | undefined) => stage === undefined || s === undefined || s === stage;
      switch (q.source) {
        case 'records': {
          const own = q.filters?.stage;
          if (stage !== undefined && own !== undefined && own !== stage) return { rows: [] };
          const scoped: Panel =
            stage === undefined ? panel : { ...panel, query: { ...q, filters: { ...q.filters, stage } } };
          const result = runLocalPanel(db, scoped, {
            fromMs,
            toMs,
            nowMs,
            topology,
            ...(cell !== undefined ? { cell } : {}),
          });
          return { rows: result.source === 'records' ? result.rows : [] };
        }
        case 'sla': {
          const result = runLocalPanel(db, panel, {
            fromMs,
            toMs,
            nowMs,
            topology,
            ...(cell !== undefined ? { cell } : {}),
          });
          return { rows: result.source === 'sla' ? result.rows.filter((r) => keep(r.stage)) : [] };
        }
        case 'queue': {
          stats ??= await ctx.stats();
          const current = stats;
          return {
            rows: topology.stages
              .filter((s) => keep(s.name))
              .map((s) => ({ stage: s.name, value: queueValue(q.metric, current.stages[s.name]) })),
          };
        }
        case 'stuck': {
          const answer = await stuckAnswer(stage);
          return { rows: answer.invoices, messages: answer.messages, generatedAt: answer.generatedAt };
        }
        case 'alarms': {
          const answer = alarmsAnswer(fromMs);
          return {
            rows: answer.alarms.filter((a) => keep(a.stage)),
            cellUnhealthy: answer.cellUnhealthy,
            cellUnhealthyAlarming: answer.cellUnhealthyAlarming,
            transitions: answer.transitions.filter((t) => keep(t.stage)),
          };
        }
        case 'reconcile': {
          const report = reconcileAnswer(fromMs, toMs);
          return { ...report, rows: report.stages.filter((s) => keep(s.stage)) };
        }
      }
    }
  });

  function queueValue(metric: QueueMetric, s: StageStats | undefined): number | null {
    if (!s) return null;
    switch (metric) {
      case 'queueDepth':
        return s.visible;
      case 'inFlight':
        return s.inFlight;
      case 'oldestMessageAgeSec':
        return s.oldestMessageAgeSec ?? 0;
      case 'dlqDepth':
        return s.inDlq;
      case 'processingFailures':
        return failuresOf(s);
      // The local relay runs inside the ingest transaction: it cannot fail on its own.
      case 'relayFailures':
        return 0;
      // 5xx answers are counted for the whole API, not per stage.
      case 'apiErrors':
        return null;
    }
  }
}

/** For tests and tools: the transitions table of a cell database, newest first. */
export function readAlarmTransitions(db: DatabaseHandle, limit = TRANSITIONS_LISTED): TransitionRow[] {
  return db
    .prepare<[number], TransitionRow>(
      `SELECT rule_id, from_state, to_state, at_ms, value, threshold, reason FROM alarm_transitions
       ORDER BY id DESC LIMIT ?`,
    )
    .all(limit);
}
