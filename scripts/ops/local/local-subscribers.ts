import type {
  SubscriberAckAnswer,
  SubscriberMessagesAnswer,
  SubscriberReceiveAnswer,
} from '../../../schemas/api/index.js';
import { contractAnswer } from './contract-answer.js';
import { type LocalHttp, localCellHttp } from './local-http.js';

/**
 * A local cell's subscriber routes (`GET .../messages`, `POST .../receive`, `POST .../ack` under
 * `/subscribers/{stage}/{id}`) for the `invoice-ops subscriber` verbs: receive and ack need an
 * operator key. Answers are read through the HTTP contract; a refusal becomes the
 * {@link OpsError} the cell's message explains (404 names the declared subscribers).
 *
 * @example
 * const subs = new LocalSubscribers({ base: new URL('http://127.0.0.1:8787/'), apiKey: operatorKey });
 * const { messages } = await subs.receive('ingestion', 'billify', { maxMessages: 10 });
 */
export class LocalSubscribers {
  readonly #http: LocalHttp;
  readonly #target: string;

  constructor(options: { base: URL; apiKey: string | undefined; timeoutMs?: number }) {
    const cell = localCellHttp(options.base.href, options.apiKey, options.timeoutMs ?? 30_000);
    this.#target = cell.target;
    this.#http = cell.http;
  }

  /** The subscriber queue's depth, DLQ depth and oldest `limit` messages, without receiving them. */
  async list(stage: string, id: string, limit: number): Promise<SubscriberMessagesAnswer> {
    const body = await this.#http.get(
      `${this.#path(stage, id)}/messages?limit=${limit}`,
      `the ${this.#target} did not list subscriber ${stage}/${id}`,
    );
    return contractAnswer('subscriberMessages', 200, body);
  }

  /** Receives up to `maxMessages` (the cell's visibility timeout when none is given). */
  async receive(
    stage: string,
    id: string,
    request: { maxMessages: number; visibilityTimeoutSec?: number },
  ): Promise<SubscriberReceiveAnswer> {
    const answer = await this.#http.request('POST', `${this.#path(stage, id)}/receive`, request);
    if (answer.status !== 200) {
      this.#http.fail(answer, `the ${this.#target} did not receive from subscriber ${stage}/${id}`);
    }
    return contractAnswer('subscriberReceive', 200, answer.body);
  }

  /** Deletes the messages of current receipt handles; the answer says which failed and why. */
  async ack(stage: string, id: string, receiptHandles: readonly string[]): Promise<SubscriberAckAnswer> {
    const answer = await this.#http.request('POST', `${this.#path(stage, id)}/ack`, { receiptHandles });
    if (answer.status !== 200) {
      this.#http.fail(answer, `the ${this.#target} did not ack for subscriber ${stage}/${id}`);
    }
    return contractAnswer('subscriberAck', 200, answer.body);
  }

  #path(stage: string, id: string): string {
    return `subscribers/${encodeURIComponent(stage)}/${encodeURIComponent(id)}`;
  }
}
