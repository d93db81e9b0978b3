import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Per-producer-key throttling, like an API Gateway usage plan: a steady rate (requests/s) plus a
 * burst allowance. `BurstyRateLimiter` takes from the steady limiter first and, when that second's
 * points are spent, from a burst bucket of `burst` extra requests that refills every
 * {@link BURST_WINDOW_SEC} seconds. Defaults come from the topology (`apiRateLimitRps`,
 * `apiBurstLimit`); `--rate-limit` and `--burst` override them.
 *
 * @example
 * const limiter = new ProducerRateLimiter({ ratePerSec: 1000, burst: 2000 });
 * const verdict = await limiter.consume(keyId);
 * if (!verdict.allowed) reply.header('retry-after', verdict.retryAfterSec).code(429);
 */
export const BURST_WINDOW_SEC = 10;

export type RateVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSec: number };

export interface RateLimitSettings {
  readonly ratePerSec: number;
  readonly burst: number;
}

export class ProducerRateLimiter {
  readonly settings: RateLimitSettings;
  readonly #limiter: BurstyRateLimiter;

  constructor(settings: RateLimitSettings) {
    for (const [name, value] of Object.entries(settings)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`rate limit ${name} must be a positive integer, got ${value}`);
      }
    }
    this.settings = settings;
    this.#limiter = new BurstyRateLimiter(
      new RateLimiterMemory({ keyPrefix: 'rate', points: settings.ratePerSec, duration: 1 }),
      new RateLimiterMemory({ keyPrefix: 'burst', points: settings.burst, duration: BURST_WINDOW_SEC }),
    );
  }

  async consume(key: string): Promise<RateVerdict> {
    try {
      await this.#limiter.consume(key, 1);
      return { allowed: true };
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
      }
      throw error;
    }
  }
}
