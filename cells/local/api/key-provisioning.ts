import type { ApiKeyStore } from './api-keys.js';

/**
 * The keys a cell starts with: `--api-key` registers a producer key, `--operator-key` an operator
 * key (so a script can bootstrap a cell it then manages with `invoice-ops keys`), and a cell that
 * has never had a key gets a generated producer key, shown once.
 *
 * @example
 * const { apiKey, apiKeyGenerated, hasOperatorKey } = provisionApiKeys(keys, { operatorKey });
 */

export interface KeyProvisioning {
  /** Register (and use) this producer key. */
  readonly apiKey?: string | undefined;
  /** Register this operator key (≥ 20 characters). */
  readonly operatorKey?: string | undefined;
}

export interface ProvisionedKeys {
  /** The producer key passed in or generated now; undefined when existing keys were kept. */
  readonly apiKey: string | undefined;
  readonly apiKeyGenerated: boolean;
  /** Whether a working operator key exists (else the banner says how to make the first one). */
  readonly hasOperatorKey: boolean;
}

/** Names of the keys registered at start; a `-2`, `-3`… suffix keeps them apart. */
export const START_KEY_NAMES = {
  apiKey: 'start-api-key',
  operatorKey: 'start-operator-key',
  generated: 'generated-on-first-start',
} as const;

export function provisionApiKeys(keys: ApiKeyStore, options: KeyProvisioning): ProvisionedKeys {
  const firstStart = keys.count() === 0;
  if (options.operatorKey !== undefined)
    keys.add(options.operatorKey, START_KEY_NAMES.operatorKey, 'operator');
  let apiKey = options.apiKey;
  let apiKeyGenerated = false;
  if (apiKey !== undefined) keys.add(apiKey, START_KEY_NAMES.apiKey, 'producer');
  else if (firstStart) {
    apiKey = keys.create(START_KEY_NAMES.generated, 'producer').key;
    apiKeyGenerated = true;
  }
  const hasOperatorKey = keys.list().some((k) => k.role === 'operator' && k.revokedAtMs === undefined);
  return { apiKey, apiKeyGenerated, hasOperatorKey };
}
