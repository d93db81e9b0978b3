import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value other than `undefined`/`false`, or fails with the last
 * observation after `timeoutMs`. Tests wait for conditions, never for fixed sleeps.
 *
 * @example
 * await waitFor(async () => (await stats()).totals.stored === 800 || undefined, { what: 'all stored' });
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: {
    what: string;
    timeoutMs?: number;
    intervalMs?: number;
    describe?: () => Promise<unknown> | unknown;
  },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = options.describe ? JSON.stringify(await options.describe()) : '';
      throw new Error(
        `timed out waiting for ${options.what}${detail ? `; last state: ${detail}` : ''}${
          lastError ? `; last error: ${String(lastError)}` : ''
        }`,
      );
    }
    await delay(options.intervalMs ?? 100);
  }
}
