import { compileFilterPolicy, PatternError } from './matching/index.js';

/**
 * Downstream subscribers of the stage topics: what a team declares ({@link StageSubscriberSettings})
 * and what the topology derives from it ({@link StageSubscriberTopology}), validated once when the
 * topology is built (`buildTopology` in topology.ts calls {@link deriveSubscribers}).
 *
 * @example
 * const [sub] = deriveSubscribers({ name: 'ingestion', title: 'Ingestion' }, [
 *   { id: 'billify', filterPolicy: { event: { status: ['RECEIVED'] } }, endpoint: 'https://hooks.example.com/cell' },
 * ]);
 * sub.ids.queue; // 'IngestionBillifySubscriberQueue'
 */

/**
 * An extra subscriber of a stage topic, declared by a downstream team: its own FIFO queue (+ FIFO
 * DLQ) that receives only the stage messages whose body matches `filterPolicy`, an SNS filter
 * policy with `FilterPolicyScope: MessageBody`. The body is the JSON `StageMessage`
 * (schemas/types.ts), so policies address `stage`, `receivedAtMs`, `event.*` and `replayName`.
 *
 * @example
 * const eurOnly: StageSubscriberSettings = {
 *   id: 'eur-only',
 *   filterPolicy: { event: { amount: { currency: ['EUR'] } } },
 *   description: 'Treasury: EUR invoices',
 * };
 */
export interface StageSubscriberSettings {
  /** Lowercase kebab-case, unique per stage; part of queue names, construct and output ids. */
  readonly id: string;
  /** SNS filter policy (MessageBody scope), validated by `compileFilterPolicy` when the topology is built. */
  readonly filterPolicy: Readonly<Record<string, unknown>>;
  readonly description?: string;
  /**
   * An `http:` or `https:` URL (no user or password in it) that the local cell POSTs each matching
   * message to, as a signed SNS-style envelope (`cells/local/messaging/subscriber-delivery.ts`).
   * On AWS the subscriber still renders its filtered SQS FIFO queue and nothing more: SNS FIFO
   * topics deliver to SQS queues only
   * (https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html), so a team that wants
   * pushes there runs a consumer of that queue.
   */
  readonly endpoint?: string;
}

/** A declared subscriber with what is derived from it. */
export interface StageSubscriberTopology {
  readonly id: string;
  /** PascalCase of the id (`eur-only` → `EurOnly`), for construct and output ids. */
  readonly title: string;
  /** Plain JSON (a copy of what was declared). */
  readonly filterPolicy: Readonly<Record<string, unknown>>;
  readonly description?: string;
  /** The validated push endpoint (normalised by `URL`), when one was declared. */
  readonly endpoint?: string;
  readonly ids: {
    /** Construct id inside the stage consumer. */
    readonly construct: string;
    /** Queue names, unique in the cell (the local cell names its queues by them). */
    readonly queue: string;
    readonly dlq: string;
  };
}

const SUBSCRIBER_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const MAX_SUBSCRIBER_ID_LENGTH = 40;

function titleOf(part: string): string {
  return part.charAt(0).toUpperCase() + part.slice(1);
}

/**
 * PascalCase of a subscriber id (`eur-only` → `EurOnly`): its construct and output ids. Exported
 * so the ops CLI finds a deployed subscriber's outputs by id alone. Pure.
 */
export function subscriberTitle(id: string): string {
  return id.split('-').map(titleOf).join('');
}

/**
 * Validates a push endpoint: an absolute `http:`/`https:` URL without credentials (a password in a
 * topology file would end up in logs and CloudFormation; receivers authenticate the cell by the
 * envelope's signature instead). Returns the URL as `URL` normalises it. Pure.
 */
export function validateSubscriberEndpoint(where: string, endpoint: unknown): string {
  if (typeof endpoint !== 'string' || endpoint.trim() === '') {
    throw new Error(`${where}: endpoint must be an http or https URL, got ${JSON.stringify(endpoint)}`);
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(
      `${where}: endpoint must be an absolute http or https URL, got ${JSON.stringify(endpoint)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${where}: endpoint must use http or https, got ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error(
      `${where}: endpoint must not carry credentials (user:password@); receivers verify the envelope signature instead`,
    );
  }
  if (url.hash !== '') throw new Error(`${where}: endpoint must not have a #fragment, got ${url.hash}`);
  return url.href;
}

function checkId(stageName: string, id: unknown, seen: Set<string>): string {
  if (typeof id !== 'string' || !SUBSCRIBER_ID.test(id) || id.length > MAX_SUBSCRIBER_ID_LENGTH) {
    throw new Error(
      `stage ${stageName} subscriber ${JSON.stringify(id)}: id must be lowercase kebab-case (a-z, 0-9, single hyphens), at most ${MAX_SUBSCRIBER_ID_LENGTH} characters`,
    );
  }
  if (seen.has(id)) throw new Error(`stage ${stageName} subscriber ${id}: declared twice`);
  seen.add(id);
  return id;
}

function checkPolicy(where: string, policy: unknown): Record<string, unknown> {
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
    throw new Error(`${where}: filterPolicy must be a JSON object`);
  }
  try {
    compileFilterPolicy(policy);
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    throw new Error(`${where}: invalid filter policy: ${error.message}`, { cause: error });
  }
  // A JSON copy: later edits of the declaration cannot change what was validated, and it
  // crosses to the engine worker and into CloudFormation as it is.
  return JSON.parse(JSON.stringify(policy)) as Record<string, unknown>;
}

/**
 * Validates declared subscribers (id shape, uniqueness, the filter policy with SNS's own rules and
 * limits, and the endpoint) and derives their ids. Throws at declaration, naming the stage and the
 * subscriber, rather than rendering a policy SNS would reject or one that silently matches nothing.
 * Pure.
 */
export function deriveSubscribers(
  stage: { readonly name: string; readonly title: string },
  declared: readonly StageSubscriberSettings[],
): StageSubscriberTopology[] {
  const seen = new Set<string>();
  return declared.map((sub) => {
    const id = checkId(stage.name, sub.id, seen);
    const where = `stage ${stage.name} subscriber ${id}`;
    const filterPolicy = checkPolicy(where, sub.filterPolicy);
    const endpoint = sub.endpoint === undefined ? undefined : validateSubscriberEndpoint(where, sub.endpoint);
    const title = subscriberTitle(id);
    return {
      id,
      title,
      filterPolicy,
      ...(sub.description !== undefined ? { description: sub.description } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      ids: {
        construct: `${title}Subscriber`,
        queue: `${stage.title}${title}SubscriberQueue`,
        dlq: `${stage.title}${title}SubscriberDlq`,
      },
    };
  });
}
