import type { Statement } from 'better-sqlite3';
import type { BusEvent } from '../../../consumers/relay.js';
import { INGEST_ERROR_CODES } from '../../../schemas/api/ingest.js';
import type { CellTopology, StageName } from '../../topology.js';
import type { FifoTopic } from '../messaging/fifo-topic.js';
import type { DatabaseHandle, WriteBatcher } from '../storage/db.js';
import type { EventArchive } from './event-archive.js';
import { deliverToTopics, type WireEvent } from './event-bus.js';

/**
 * The engine side of the API's write path (the local PutEvents): routed events are archived and
 * enqueued in the engine's group commit, and each request's answer is sent after that commit.
 *
 * Idempotency: `eventId` is the producer's idempotency key. An event whose id is already in the
 * archive is answered `duplicate` (nothing stored again) when it is the same event, and `failed`
 * with `EventIdConflict` when the content differs. A producer that retries after a lost answer
 * thus gets a 2xx and the event exists exactly once.
 *
 * Replays come through here too, without archiving (EventBridge does not re-archive replayed
 * events), with the replay's progress row updated in the same transaction.
 *
 * @example
 * const results = await committer.commit({ stage: 'posting', archive: true, events: wireEvents });
 * // [{ eventId, status: 'accepted', busEventId }]
 */

export const ENTRY_STATUS = { accepted: 'accepted', duplicate: 'duplicate', failed: 'failed' } as const;
export type EntryStatus = (typeof ENTRY_STATUS)[keyof typeof ENTRY_STATUS];

export interface EntryResult {
  readonly eventId: string;
  readonly status: EntryStatus;
  /** The bus event id (PutEvents `EventId`) of the archived event. */
  readonly busEventId?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

export interface ReplayProgress {
  readonly name: string;
  readonly cursorReceivedMs: number;
  readonly cursorSeq: number;
}

export interface IngestBatch {
  readonly events: readonly WireEvent[];
  /** False for replays: deliver only. */
  readonly archive: boolean;
  readonly replay?: ReplayProgress;
}

export interface IngestStats {
  readonly accepted: Readonly<Record<string, number>>;
  readonly duplicates: Readonly<Record<string, number>>;
  readonly conflicts: Readonly<Record<string, number>>;
}

/** JSON with object keys sorted, so two spellings of one event compare equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function eventOf(busEventJson: string): unknown {
  return (JSON.parse(busEventJson) as BusEvent).detail.event;
}

export interface IngestCommitterOptions {
  readonly db: DatabaseHandle;
  readonly batcher: WriteBatcher;
  readonly archive: EventArchive;
  readonly topics: ReadonlyMap<StageName, FifoTopic>;
  readonly topology: CellTopology;
  /** Called after a commit that enqueued something (wakes the poller). */
  readonly onCommitted?: () => void;
}

export class IngestCommitter {
  readonly #options: IngestCommitterOptions;
  readonly #stageOfDetailType: ReadonlyMap<string, StageName>;
  readonly #accepted = new Map<string, number>();
  readonly #duplicates = new Map<string, number>();
  readonly #conflicts = new Map<string, number>();
  readonly #bumpCounter: Statement<[string, number]>;
  readonly #replayProgress: Statement<[number, number, number, string]>;

  constructor(options: IngestCommitterOptions) {
    this.#options = options;
    const { db, topology } = options;
    this.#stageOfDetailType = new Map(topology.stages.map((s) => [s.detailType, s.name]));
    const counters = db
      .prepare<[], { name: string; value: number }>(
        "SELECT name, value FROM counters WHERE name LIKE 'accepted:%'",
      )
      .all();
    for (const stage of topology.stages) {
      this.#accepted.set(stage.name, counters.find((c) => c.name === `accepted:${stage.name}`)?.value ?? 0);
    }
    this.#bumpCounter = db.prepare(
      'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
    );
    this.#replayProgress = db.prepare(
      'UPDATE replays SET replayed = replayed + ?, cursor_received_ms = ?, cursor_seq = ? WHERE name = ?',
    );
  }

  stats(): IngestStats {
    return {
      accepted: Object.fromEntries(this.#accepted),
      duplicates: Object.fromEntries(this.#duplicates),
      conflicts: Object.fromEntries(this.#conflicts),
    };
  }

  /** Archives (unless a replay) and enqueues a request's events; resolves after the commit. */
  async commit(batch: IngestBatch): Promise<EntryResult[]> {
    const results = await this.#options.batcher.run(() => this.#apply(batch));
    let enqueued = false;
    batch.events.forEach((event, i) => {
      const stage = this.#stageOfDetailType.get(event.detailType) ?? event.detailType;
      const status = results[i]?.status;
      const counter =
        status === 'accepted' ? this.#accepted : status === 'duplicate' ? this.#duplicates : this.#conflicts;
      if (status === 'accepted') enqueued = true;
      if (batch.archive) counter.set(stage, (counter.get(stage) ?? 0) + 1);
    });
    if (enqueued) this.#options.onCommitted?.();
    return results;
  }

  #apply(batch: IngestBatch): EntryResult[] {
    const { archive, topics } = this.#options;
    const acceptedNow = new Map<string, number>();
    const results = batch.events.map((event): EntryResult => {
      if (batch.archive) {
        const archived = archive.find(event.eventId);
        if (archived) {
          if (canonicalJson(eventOf(archived.body)) === canonicalJson(eventOf(event.busEventJson))) {
            return { eventId: event.eventId, status: 'duplicate', busEventId: archived.busEventId };
          }
          return {
            eventId: event.eventId,
            status: 'failed',
            errorCode: INGEST_ERROR_CODES.eventIdConflict,
            errorMessage: `eventId ${event.eventId} was already accepted with different content`,
          };
        }
        archive.insert(event);
        const stage = this.#stageOfDetailType.get(event.detailType) ?? event.detailType;
        acceptedNow.set(stage, (acceptedNow.get(stage) ?? 0) + 1);
      }
      deliverToTopics(event, topics);
      return { eventId: event.eventId, status: 'accepted', busEventId: event.busEventId };
    });
    for (const [stage, n] of acceptedNow) this.#bumpCounter.run(`accepted:${stage}`, n);
    if (batch.replay) {
      const r = batch.replay;
      this.#replayProgress.run(batch.events.length, r.cursorReceivedMs, r.cursorSeq, r.name);
    }
    return results;
  }
}
