import type { Statement } from 'better-sqlite3';
import type { AlarmStateValue, AlarmTransition } from '../../../consumers/monitoring/alarm-evaluator.js';
import { type DatabaseHandle, runWrite } from '../storage/db.js';

/**
 * The `alarm_transitions` table of the cell database (created by migration 2 in
 * `storage/migrations.ts`): alarm state changes, appended in batches and pruned to the newest
 * {@link TRANSITIONS_KEPT}.
 *
 * Why a table and not a JSONL file: transitions are rare (state changes only), each batch is one
 * short `INSERT` through `runWrite` (`BEGIN IMMEDIATE`, asynchronous retry while the engine holds
 * the lock, as the API thread's other rare writes do), and the history then shares the cell's
 * durability, backups and lock with no second file to fsync, rotate or repair after a torn line.
 *
 * @example
 * const store = new AlarmTransitionStore(db);
 * await store.append(evaluation.transitions, 2_000);
 * const newest = store.since(Date.now() - 3_600_000);
 */

/** A stored transition, as the table holds it. */
export interface TransitionRow {
  readonly rule_id: string;
  readonly from_state: AlarmStateValue;
  readonly to_state: AlarmStateValue;
  readonly at_ms: number;
  readonly value: number | null;
  readonly threshold: number;
  readonly reason: string;
}

/** Transitions `/alarms` lists. */
export const TRANSITIONS_LISTED = 200;
/** Transitions kept in the table; older ones are pruned with each insert. */
export const TRANSITIONS_KEPT = 10_000;

const COLUMNS = 'rule_id, from_state, to_state, at_ms, value, threshold, reason';

/** Reads and appends the transitions table through prepared statements of one connection. */
export class AlarmTransitionStore {
  readonly #db: DatabaseHandle;
  readonly #insert: Statement;
  readonly #prune: Statement<[number]>;
  readonly #since: Statement<[number, number], TransitionRow>;
  readonly #latestPerRule: Statement<[], TransitionRow>;

  constructor(db: DatabaseHandle) {
    this.#db = db;
    this.#insert = db.prepare(`INSERT INTO alarm_transitions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#prune = db.prepare(
      'DELETE FROM alarm_transitions WHERE id <= (SELECT max(id) FROM alarm_transitions) - ?',
    );
    this.#since = db.prepare(
      `SELECT ${COLUMNS} FROM alarm_transitions WHERE at_ms >= ? ORDER BY id DESC LIMIT ?`,
    );
    this.#latestPerRule = db.prepare(
      `SELECT ${COLUMNS} FROM alarm_transitions
       WHERE id IN (SELECT max(id) FROM alarm_transitions GROUP BY rule_id)`,
    );
  }

  /**
   * Appends `transitions` in one write transaction and prunes old ones; rejects when the
   * database stays busy longer than `maxWaitMs` (nothing is written then).
   */
  async append(transitions: readonly AlarmTransition[], maxWaitMs: number): Promise<void> {
    await runWrite(
      this.#db.transaction(() => {
        for (const t of transitions) {
          this.#insert.run(t.ruleId, t.from, t.to, t.atMs, t.value ?? null, t.threshold, t.reason);
        }
        this.#prune.run(TRANSITIONS_KEPT);
      }),
      maxWaitMs,
    );
  }

  /** Transitions at or after `sinceMs`, newest first. */
  since(sinceMs: number, limit = TRANSITIONS_LISTED): TransitionRow[] {
    return this.#since.all(sinceMs, limit);
  }

  /** The newest transition of each rule (the state it is in). */
  latestPerRule(): TransitionRow[] {
    return this.#latestPerRule.all();
  }
}

/** For tests and tools: the transitions table of a cell database, newest first. */
export function readAlarmTransitions(db: DatabaseHandle, limit = TRANSITIONS_LISTED): TransitionRow[] {
  return db
    .prepare<[number], TransitionRow>(`SELECT ${COLUMNS} FROM alarm_transitions ORDER BY id DESC LIMIT ?`)
    .all(limit);
}
