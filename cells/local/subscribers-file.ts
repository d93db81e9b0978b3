import fs from 'node:fs';
import {
  buildTopology,
  type CellTopology,
  STAGE_SETTINGS,
  STAGE_SUBSCRIBERS,
  type StageSubscriberSettings,
  type StageSubscribers,
} from '../topology.js';

/**
 * `npm start -- --subscribers <file>`: downstream subscribers for a local cell without a code
 * change. The file is JSON, by stage name, in the shape the topology declares them
 * (`StageSubscriberSettings`):
 *
 * ```json
 * { "ingestion": [{ "id": "billify", "filterPolicy": { "event": { "status": ["RECEIVED"] } },
 *                   "endpoint": "https://hooks.billify.example/invoice-cell" }] }
 * ```
 *
 * They are added to the topology's own (`STAGE_SUBSCRIBERS`) and validated by `buildTopology`
 * (id, filter policy, endpoint). Every problem is a {@link SubscribersFileError} naming the file
 * and the field, and the cell does not start.
 *
 * @example
 * const topology = topologyWithSubscribersFile('./subscribers.json');
 * await startLocalCell({ dataDir, topology });
 */

/** A subscribers file that cannot be read or declares something invalid. */
export class SubscribersFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SubscribersFileError';
  }
}

const FIELDS = new Set(['id', 'filterPolicy', 'description', 'endpoint']);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One declared subscriber, with no unknown field (a typo like `endpont` must not pass). */
function subscriberOf(where: string, value: unknown): StageSubscriberSettings {
  if (!isObject(value)) throw new SubscribersFileError(`${where} must be an object`);
  const unknown = Object.keys(value).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) {
    throw new SubscribersFileError(
      `${where} has unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}; fields are ${[...FIELDS].join(', ')}`,
    );
  }
  if (value.description !== undefined && typeof value.description !== 'string') {
    throw new SubscribersFileError(`${where}.description must be a string`);
  }
  return value as unknown as StageSubscriberSettings;
}

/**
 * The subscribers a file's JSON text declares, by stage, checked for shape (the topology checks the
 * rest). Throws {@link SubscribersFileError}. Pure.
 */
export function parseSubscribersFile(text: string, file: string): StageSubscribers {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SubscribersFileError(`${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(parsed)) {
    throw new SubscribersFileError(`${file} must hold a JSON object of subscriber lists by stage name`);
  }
  const subscribers: Record<string, StageSubscriberSettings[]> = {};
  for (const [stage, list] of Object.entries(parsed)) {
    if (!Array.isArray(list)) {
      throw new SubscribersFileError(`${file}: ${stage} must be an array of subscribers`);
    }
    subscribers[stage] = list.map((entry, i) => subscriberOf(`${file}: ${stage}[${i}]`, entry));
  }
  return subscribers as StageSubscribers;
}

/**
 * The default topology with the file's subscribers added to each stage's own. Throws
 * {@link SubscribersFileError} for an unreadable file, a bad shape, or a subscriber the topology
 * refuses (its message names the stage and the subscriber).
 */
export function topologyWithSubscribersFile(file: string): CellTopology {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new SubscribersFileError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const added = parseSubscribersFile(text, file);
  const merged: Record<string, readonly StageSubscriberSettings[]> = { ...STAGE_SUBSCRIBERS };
  for (const [stage, list] of Object.entries(added)) {
    merged[stage] = [...(merged[stage] ?? []), ...(list ?? [])];
  }
  try {
    return buildTopology({}, STAGE_SETTINGS, merged as StageSubscribers);
  } catch (error) {
    throw new SubscribersFileError(`${file}: ${(error as Error).message}`, { cause: error });
  }
}
