import type { ApiKeySummary, CreatedKeyAnswer, Role } from '../../../schemas/api/index.js';
import { contractAnswer } from './contract-answer.js';
import { type LocalHttp, localCellHttp } from './local-http.js';

/**
 * A local cell's key management routes (`POST /keys`, `GET /keys`, `DELETE /keys/{ref}`) for the
 * `invoice-ops keys` verbs, with an operator key. Answers are read through the HTTP contract; a
 * refusal becomes the {@link OpsError} the cell's message explains (403 names the role needed).
 *
 * @example
 * const keys = new LocalKeys({ base: new URL('http://127.0.0.1:8787/'), apiKey: operatorKey });
 * const { key } = await keys.create('billing-export', 'producer');
 */
export class LocalKeys {
  readonly #http: LocalHttp;
  readonly #target: string;

  constructor(options: { base: URL; apiKey: string | undefined; timeoutMs?: number }) {
    const cell = localCellHttp(options.base.href, options.apiKey, options.timeoutMs ?? 30_000);
    this.#target = cell.target;
    this.#http = cell.http;
  }

  /** Creates a key; the answer carries its secret, which the cell never shows again. */
  async create(name: string, role: Role): Promise<CreatedKeyAnswer> {
    const answer = await this.#http.request('POST', 'keys', { name, role });
    if (answer.status !== 201) this.#http.fail(answer, `the ${this.#target} did not create the key`);
    return contractAnswer('keysCreate', 201, answer.body);
  }

  /** Every key of the cell, revoked ones included: never a secret. */
  async list(): Promise<readonly ApiKeySummary[]> {
    const body = await this.#http.get('keys', `the ${this.#target} did not list its keys`);
    return contractAnswer('keysList', 200, body).keys;
  }

  /** Revokes the key with this id, or the working key with this name. */
  async revoke(ref: string): Promise<ApiKeySummary> {
    const answer = await this.#http.request('DELETE', `keys/${encodeURIComponent(ref)}`);
    if (answer.status !== 200) this.#http.fail(answer, `the ${this.#target} did not revoke "${ref}"`);
    return contractAnswer('keysRevoke', 200, answer.body);
  }
}
