import { setTimeout as delay } from 'node:timers/promises';
import { type CellTopology, isStageName, type StageName, type StageTopology } from '../../cells/topology.js';
import type { InvoiceRecord } from '../../consumers/record.js';
import type { InvoiceEvent } from '../../schemas/types.js';
import {
  type AlarmReport,
  type AlarmState,
  type AlarmsRequest,
  type AlarmTransition,
  type DlqListing,
  type DlqListRequest,
  type DlqMessage,
  InterruptedError,
  NotFoundError,
  type OpsBackend,
  OpsError,
  REDRIVE_STATES,
  REPLAY_STATES,
  type ReconcileReport,
  type ReconcileStage,
  type RedriveProgress,
  type RedriveRequest,
  type ReplayProgress,
  type ReplayRequest,
  type ReplayState,
  type SendEntryResult,
  STUCK_MESSAGE_KINDS,
  type StuckInvoice,
  type StuckMessage,
  type StuckReport,
  type StuckRequest,
  type TimelineEntry,
  type TimeWindow,
  TransientSendError,
  timelineEntryOf,
  type Watch,
} from './backend.js';

/**
 * {@link OpsBackend} for a local cell: its HTTP API (`cells/local/http-api.ts`) over global fetch.
 * Writes carry `x-api-key`; reads do too when a key is given (a cell bound beyond loopback needs it).
 *
 * Long operations poll the cell (`GET /dlq/{stage}/redrive`, `GET /replays/{name}`). The local cell
 * has no cancel route for either: on Ctrl-C the CLI stops watching and says the task goes on.
 *
 * @example
 * const backend = new LocalBackend({ baseUrl: 'http://127.0.0.1:8787', apiKey, topology: CELL_TOPOLOGY });
 * const timeline = await backend.timeline('INV-2026-000123');
 */
export interface LocalBackendOptions {
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly topology: CellTopology;
  /** Between progress polls. */
  readonly pollIntervalMs?: number;
  /** Per request. */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfterSec: number | undefined;
}

const DEFAULT_POLL_MS = 500;
const DEFAULT_TIMEOUT_MS = 30_000;

function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export class LocalBackend implements OpsBackend {
  readonly target: string;
  readonly #base: URL;
  readonly #apiKey: string | undefined;
  readonly #topology: CellTopology;
  readonly #pollMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(options: LocalBackendOptions) {
    this.#base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.#apiKey = options.apiKey;
    this.#topology = options.topology;
    this.#pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
    this.target = `local cell ${this.#base.origin}${this.#base.pathname.replace(/\/$/, '')}`;
  }

  async #request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#apiKey !== undefined) headers['x-api-key'] = this.#apiKey;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new TransientSendError(`cannot reach the ${this.target} (${method} ${url.pathname}): ${reason}`, {
        cause: error,
      });
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): keep the text for the message.
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    return {
      status: response.status,
      body: parsed,
      retryAfterSec: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    };
  }

  /** Maps an unexpected status to the error an operator understands. */
  #fail(answer: HttpAnswer, what: string): never {
    const message = `${what}: ${messageOf(answer.body)}`;
    if (answer.status === 401 || answer.status === 403) {
      throw new OpsError(`${message} (pass --api-key or set INVOICE_OPS_API_KEY to the cell's producer key)`);
    }
    if (answer.status === 404) throw new NotFoundError(message);
    if (answer.status === 429 || answer.status === 503 || answer.status >= 500) {
      throw new TransientSendError(
        `${message} (HTTP ${answer.status})`,
        optional('retryAfterSec', answer.retryAfterSec),
      );
    }
    throw new OpsError(`${message} (HTTP ${answer.status})`);
  }

  /** A read; a cell that is unreachable is a plain failure here (not worth a retry loop). */
  async #get(path: string, what: string): Promise<unknown> {
    const answer = await this.#request('GET', path);
    if (answer.status !== 200) this.#fail(answer, what);
    return answer.body;
  }

  async send(stage: StageTopology, events: readonly InvoiceEvent[]): Promise<SendEntryResult[]> {
    const body = events.length === 1 ? events[0] : { events };
    const answer = await this.#request('POST', `invoices/${encodeURIComponent(stage.name)}`, body);
    if (answer.status !== 200 && answer.status !== 409) {
      this.#fail(answer, `${this.target} refused ${events.length} ${stage.name} event(s)`);
    }
    const entries = asArray(asRecord(answer.body).entries);
    return events.map((event, i) => {
      const entry = asRecord(entries[i]);
      const status = str(entry.status);
      const errorCode = str(entry.errorCode);
      const errorMessage = str(entry.errorMessage);
      return {
        eventId: event.eventId,
        invoiceId: event.invoiceId,
        stage: stage.name,
        status: status === 'accepted' || status === 'duplicate' ? status : 'failed',
        ...optional('busEventId', str(entry.busEventId)),
        ...optional('errorCode', errorCode ?? (status === undefined ? 'NoEntryInAnswer' : undefined)),
        ...optional('errorMessage', errorMessage),
      };
    });
  }

  async timeline(invoiceId: string): Promise<TimelineEntry[]> {
    const body = asRecord(await this.#get(`invoices/${encodeURIComponent(invoiceId)}`, 'timeline'));
    return asArray(body.timeline).map((raw) => {
      const item = asRecord(raw);
      const record = item.record as InvoiceRecord;
      const storedAtMs = item.storedAtMs;
      return {
        ...timelineEntryOf(record),
        ...optional('storedAt', typeof storedAtMs === 'number' ? iso(storedAtMs) : undefined),
      };
    });
  }

  async stuck(request: StuckRequest): Promise<StuckReport> {
    const query = request.stage ? `?stage=${encodeURIComponent(request.stage)}` : '';
    const body = asRecord(await this.#get(`stuck${query}`, 'stuck invoices and messages'));
    const report = parseStuckReport(body, this.#topology, this.#now());
    if (!request.stage) return report;
    // The cell may ignore ?stage=; filter here too.
    return {
      ...report,
      business: report.business.filter((b) => b.stage === request.stage),
      technical: report.technical.filter((t) => t.stage === request.stage),
    };
  }

  async dlqList(stage: StageTopology, request: DlqListRequest): Promise<DlqListing> {
    const params = new URLSearchParams({ limit: String(request.limit) });
    if (request.invoiceId) params.set('invoiceId', request.invoiceId);
    const body = asRecord(await this.#get(`dlq/${stage.name}?${params}`, `${stage.name} DLQ`));
    const messages: DlqMessage[] = asArray(body.messages).map((raw) => {
      const m = asRecord(raw);
      return {
        messageId: str(m.messageId) ?? '',
        invoiceId: str(m.invoiceId) ?? '',
        eventId: str(m.eventId) ?? '',
        receiveCount: num(m.receiveCount),
        sentAt: str(m.sentAt) ?? '',
        ...optional('deadLetteredAt', str(m.deadLetteredAt)),
        body: m.message,
      };
    });
    const total = num(body.total, messages.length);
    const notes =
      total > messages.length ? [`showing ${messages.length} of ${total} messages (--limit)`] : [];
    return { stage: stage.name, total, messages, notes };
  }

  async dlqRedrive(
    stage: StageTopology,
    request: RedriveRequest,
    watch: Watch<RedriveProgress>,
  ): Promise<RedriveProgress> {
    const body = {
      ...optional('invoiceId', request.invoiceId),
      ...optional('ratePerSec', request.ratePerSec),
      ...(request.dryRun ? { dryRun: true } : {}),
    };
    const answer = await this.#request('POST', `dlq/${stage.name}/redrive`, body);
    if (answer.status !== 200 && answer.status !== 202) {
      this.#fail(answer, `redrive of the ${stage.name} DLQ`);
    }
    let progress = redriveProgressOf(stage.name, answer.body, request);
    watch.onProgress(progress);
    while (progress.state === REDRIVE_STATES.running) {
      await this.#pause(watch.signal, () => {
        throw new InterruptedError(
          `stopped watching; the ${stage.name} redrive goes on in the cell (GET ${this.#base.origin}/dlq/${stage.name}/redrive)`,
        );
      });
      const status = await this.#get(`dlq/${stage.name}/redrive`, `redrive of the ${stage.name} DLQ`);
      progress = redriveProgressOf(stage.name, status, request);
      watch.onProgress(progress);
    }
    return progress;
  }

  async replay(request: ReplayRequest, watch: Watch<ReplayProgress>): Promise<ReplayProgress> {
    const body = {
      from: iso(request.fromMs),
      to: iso(request.toMs),
      ...optional('stage', request.stage?.name),
      ...optional('invoiceId', request.invoiceId),
      ...optional('name', request.name),
      ...(request.dryRun ? { dryRun: true } : {}),
    };
    const answer = await this.#request('POST', 'replays', body);
    if (answer.status !== 200 && answer.status !== 202) this.#fail(answer, 'replay');
    let progress = replayProgressOf(answer.body);
    watch.onProgress(progress);
    while (progress.state === REPLAY_STATES.running || progress.state === REPLAY_STATES.starting) {
      const name = progress.name;
      await this.#pause(watch.signal, () => {
        throw new InterruptedError(
          `stopped watching; replay ${name} goes on in the cell (the local cell cannot cancel a replay; GET ${this.#base.origin}/replays/${name})`,
        );
      });
      progress = replayProgressOf(await this.#get(`replays/${encodeURIComponent(name)}`, `replay ${name}`));
      watch.onProgress(progress);
    }
    return progress;
  }

  async reconcile(window: TimeWindow): Promise<ReconcileReport> {
    const params = new URLSearchParams({ from: iso(window.fromMs), to: iso(window.toMs) });
    const body = asRecord(await this.#get(`reconcile?${params}`, 'reconcile'));
    return parseReconcileReport(body, window);
  }

  async alarms(request: AlarmsRequest): Promise<AlarmReport> {
    const params = new URLSearchParams({ historySec: String(request.historySec) });
    const body = asRecord(await this.#get(`alarms?${params}`, 'alarms'));
    return parseAlarmReport(body, this.#now() - request.historySec * 1000);
  }

  async #pause(signal: AbortSignal, onAbort: () => never): Promise<void> {
    if (signal.aborted) onAbort();
    try {
      await delay(this.#pollMs, undefined, { signal });
    } catch {
      onAbort();
    }
  }
}

function redriveProgressOf(stage: StageName, raw: unknown, request: RedriveRequest): RedriveProgress {
  const body = asRecord(raw);
  const state = str(body.state);
  const dryRun = body.dryRun === true;
  const mapped =
    dryRun || request.dryRun
      ? REDRIVE_STATES.dryRun
      : state === 'completed'
        ? REDRIVE_STATES.completed
        : state === 'failed'
          ? REDRIVE_STATES.failed
          : REDRIVE_STATES.running;
  return {
    stage,
    state: mapped,
    ...optional('invoiceId', str(body.invoiceId) ?? request.invoiceId),
    total: num(body.total),
    moved: num(body.moved),
    ...optional('taskId', str(body.taskId)),
    ...optional('error', str(body.error)),
    notes: [],
  };
}

const LOCAL_REPLAY_STATES: Readonly<Record<string, ReplayState>> = {
  running: REPLAY_STATES.running,
  completed: REPLAY_STATES.completed,
  failed: REPLAY_STATES.failed,
  'dry-run': REPLAY_STATES.dryRun,
};

function replayProgressOf(raw: unknown): ReplayProgress {
  const body = asRecord(raw);
  const stage = str(body.stage);
  const total = num(body.total);
  const replayed = num(body.replayed);
  return {
    name: str(body.name) ?? '',
    state: LOCAL_REPLAY_STATES[str(body.state) ?? ''] ?? REPLAY_STATES.failed,
    from: str(body.from) ?? '',
    to: str(body.to) ?? '',
    ...(stage && isStageName(stage) ? { stage } : {}),
    ...optional('invoiceId', str(body.invoiceId)),
    total,
    replayed,
    ...(total > 0 ? { fraction: replayed / total } : {}),
    ...optional('error', str(body.error)),
    notes: [],
  };
}

function stageOf(value: unknown, topology: CellTopology): StageName | undefined {
  return typeof value === 'string' && topology.stages.some((s) => s.name === value)
    ? (value as StageName)
    : undefined;
}

/** An ISO time from an ISO string or epoch ms, whichever the body carries. */
function timeOf(text: unknown, ms: unknown): string | undefined {
  if (typeof text === 'string') return text;
  return typeof ms === 'number' && Number.isFinite(ms) ? iso(ms) : undefined;
}

function firstArray(body: Record<string, unknown>, ...keys: string[]): unknown[] {
  for (const key of keys) if (Array.isArray(body[key])) return body[key] as unknown[];
  return [];
}

function notesOf(body: Record<string, unknown>): string[] {
  return asArray(body.notes).filter((n): n is string => typeof n === 'string');
}

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
    generatedAt: timeOf(body.generatedAt, body.generatedAtMs) ?? iso(nowMs),
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
    from: timeOf(body.from, body.fromMs) ?? iso(window.fromMs),
    to: timeOf(body.to, body.toMs) ?? iso(window.toMs),
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
