import { setTimeout as delay } from 'node:timers/promises';
import type { CellTopology, StageTopology } from '../../../cells/topology.js';
import { INGEST_PARTIAL_FAILURE_STATUS, type IngestEntry } from '../../../schemas/api/index.js';
import { isoFromMs } from '../../../schemas/time.js';
import type { InvoiceEvent } from '../../../schemas/types.js';
import {
  type AlarmReport,
  type AlarmsRequest,
  type DlqListing,
  type DlqListRequest,
  type DlqMessage,
  InterruptedError,
  type MonthlyReportDocument,
  type MonthlyReportRequest,
  type OpsBackend,
  REDRIVE_STATES,
  REPLAY_STATES,
  type ReconcileReport,
  type RedriveProgress,
  type RedriveRequest,
  type ReplayProgress,
  type ReplayRequest,
  type SendEntryResult,
  type StuckReport,
  type StuckRequest,
  type TimelineEntry,
  type TimeWindow,
  timelineEntryOf,
  type Watch,
} from '../backend.js';
import { optional } from './answer-fields.js';
import { contractAnswer } from './contract-answer.js';
import { type HttpAnswer, type LocalHttp, localCellHttp } from './local-http.js';
import { fetchMonthlyReport } from './local-monthly-report.js';
import { redriveProgressOf, replayProgressOf } from './progress-answers.js';
import { parseAlarmReport, parseReconcileReport, parseStuckReport } from './report-answers.js';

/**
 * {@link OpsBackend} for a local cell: its HTTP API (`cells/local/http-api.ts`) over global fetch.
 * Writes carry `x-api-key`; reads do too when a key is given (a cell bound beyond loopback needs it).
 * Every answer is read through the HTTP contract (`schemas/api`, via `contractAnswer`): exactly its
 * fields, and an answer that does not match fails naming the fields.
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

/** One entry of an ingest answer as the CLI reports it; entries name their event by `index`. */
function sendEntryResult(
  stage: StageTopology,
  event: InvoiceEvent,
  entry: IngestEntry | undefined,
): SendEntryResult {
  const base = { eventId: event.eventId, invoiceId: event.invoiceId, stage: stage.name };
  if (!entry) return { ...base, status: 'failed', errorCode: 'NoEntryInAnswer' };
  return {
    ...base,
    status: entry.status,
    ...optional('busEventId', entry.busEventId),
    ...optional('errorCode', entry.errorCode),
    ...optional('errorMessage', entry.errorMessage),
  };
}

/**
 * A 502 that lists entries (some events failed, the others are stored) rather than a 502 error
 * body (a proxy, or a whole-call failure), which is a transient failure of the whole request.
 */
function isPartialFailure(answer: HttpAnswer): boolean {
  return (
    answer.status === INGEST_PARTIAL_FAILURE_STATUS &&
    typeof answer.body === 'object' &&
    answer.body !== null &&
    'entries' in answer.body
  );
}

/** `ingestion`, or `ingestion/billify` for a subscriber's DLQ: how messages name the DLQ. */
function dlqLabel(stage: StageTopology, request: { readonly subscriber?: string }): string {
  return request.subscriber ? `${stage.name}/${request.subscriber}` : stage.name;
}

const DEFAULT_POLL_MS = 500;
const DEFAULT_TIMEOUT_MS = 30_000;

export class LocalBackend implements OpsBackend {
  readonly target: string;
  readonly #base: URL;
  readonly #http: LocalHttp;
  readonly #topology: CellTopology;
  readonly #pollMs: number;
  readonly #now: () => number;

  constructor(options: LocalBackendOptions) {
    const cell = localCellHttp(options.baseUrl, options.apiKey, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.#base = cell.base;
    this.#http = cell.http;
    this.target = cell.target;
    this.#topology = options.topology;
    this.#pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.#now = options.now ?? Date.now;
  }

  async send(stage: StageTopology, events: readonly InvoiceEvent[]): Promise<SendEntryResult[]> {
    const body = events.length === 1 ? events[0] : { events };
    const answer = await this.#http.request('POST', `invoices/${encodeURIComponent(stage.name)}`, body);
    if (answer.status !== 200 && !isPartialFailure(answer)) {
      this.#http.fail(answer, `${this.target} refused ${events.length} ${stage.name} event(s)`);
    }
    const { entries } = contractAnswer('ingest', answer.status as 200 | 502, answer.body);
    return events.map((event, i) =>
      sendEntryResult(
        stage,
        event,
        entries.find((e) => e.index === i),
      ),
    );
  }

  async timeline(invoiceId: string): Promise<TimelineEntry[]> {
    const body = await this.#http.get(`invoices/${encodeURIComponent(invoiceId)}`, 'timeline');
    return contractAnswer('timeline', 200, body).timeline.map((item) => ({
      ...timelineEntryOf(item.record),
      storedAt: isoFromMs(item.storedAtMs),
    }));
  }

  async stuck(request: StuckRequest): Promise<StuckReport> {
    const query = request.stage ? `?stage=${encodeURIComponent(request.stage)}` : '';
    const body = await this.#http.get(`stuck${query}`, 'stuck invoices and messages');
    const report = parseStuckReport(body, this.#topology);
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
    if (request.subscriber) params.set('subscriber', request.subscriber);
    const body = await this.#http.get(`dlq/${stage.name}?${params}`, `${dlqLabel(stage, request)} DLQ`);
    const { total, messages: listed } = contractAnswer('dlq', 200, body);
    const messages: DlqMessage[] = listed.map((m) => ({
      messageId: m.messageId,
      invoiceId: m.invoiceId,
      eventId: m.eventId,
      receiveCount: m.receiveCount,
      sentAt: m.sentAt,
      ...optional('deadLetteredAt', m.deadLetteredAt ?? undefined),
      body: m.message,
    }));
    const notes =
      total > messages.length ? [`showing ${messages.length} of ${total} messages (--limit)`] : [];
    return { stage: stage.name, ...optional('subscriber', request.subscriber), total, messages, notes };
  }

  async dlqRedrive(
    stage: StageTopology,
    request: RedriveRequest,
    watch: Watch<RedriveProgress>,
  ): Promise<RedriveProgress> {
    const body = {
      ...optional('invoiceId', request.invoiceId),
      ...optional('ratePerSec', request.ratePerSec),
      ...optional('subscriber', request.subscriber),
      ...(request.dryRun ? { dryRun: true } : {}),
    };
    const which = `the ${dlqLabel(stage, request)} DLQ`;
    const statusPath = `dlq/${stage.name}/redrive${request.subscriber ? `?subscriber=${encodeURIComponent(request.subscriber)}` : ''}`;
    const answer = await this.#http.request('POST', `dlq/${stage.name}/redrive`, body);
    if (answer.status !== 200 && answer.status !== 202) {
      this.#http.fail(answer, `redrive of ${which}`);
    }
    let progress = redriveProgressOf(
      stage.name,
      contractAnswer('redriveStart', answer.status, answer.body),
      request,
    );
    watch.onProgress(progress);
    while (progress.state === REDRIVE_STATES.running) {
      await this.#pause(watch.signal, () => {
        throw new InterruptedError(
          `stopped watching; the redrive of ${which} goes on in the cell (GET ${this.#base.origin}/${statusPath})`,
        );
      });
      const status = await this.#http.get(statusPath, `redrive of ${which}`);
      progress = redriveProgressOf(stage.name, contractAnswer('redriveStatus', 200, status), request);
      watch.onProgress(progress);
    }
    return progress;
  }

  async replay(request: ReplayRequest, watch: Watch<ReplayProgress>): Promise<ReplayProgress> {
    const body = {
      from: isoFromMs(request.fromMs),
      to: isoFromMs(request.toMs),
      ...optional('stage', request.stage?.name),
      ...optional('invoiceId', request.invoiceId),
      ...optional('name', request.name),
      ...(request.dryRun ? { dryRun: true } : {}),
    };
    const answer = await this.#http.request('POST', 'replays', body);
    if (answer.status !== 200 && answer.status !== 202) this.#http.fail(answer, 'replay');
    let progress = replayProgressOf(contractAnswer('replayStart', answer.status, answer.body));
    watch.onProgress(progress);
    while (progress.state === REPLAY_STATES.running || progress.state === REPLAY_STATES.starting) {
      const name = progress.name;
      await this.#pause(watch.signal, () => {
        throw new InterruptedError(
          `stopped watching; replay ${name} goes on in the cell (the local cell cannot cancel a replay; GET ${this.#base.origin}/replays/${name})`,
        );
      });
      const status = await this.#http.get(`replays/${encodeURIComponent(name)}`, `replay ${name}`);
      progress = replayProgressOf(contractAnswer('replayStatus', 200, status));
      watch.onProgress(progress);
    }
    return progress;
  }

  async reconcile(window: TimeWindow): Promise<ReconcileReport> {
    const params = new URLSearchParams({ from: isoFromMs(window.fromMs), to: isoFromMs(window.toMs) });
    return parseReconcileReport(await this.#http.get(`reconcile?${params}`, 'reconcile'));
  }

  async alarms(request: AlarmsRequest): Promise<AlarmReport> {
    const params = new URLSearchParams({ historySec: String(request.historySec) });
    const body = await this.#http.get(`alarms?${params}`, 'alarms');
    return parseAlarmReport(body, this.#now() - request.historySec * 1000);
  }

  report(request: MonthlyReportRequest): Promise<MonthlyReportDocument> {
    return fetchMonthlyReport({ http: this.#http, target: this.target }, request);
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
