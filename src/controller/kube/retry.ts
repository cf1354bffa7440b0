import type { Logger } from '../../logger.js';
import { apiFailure, isRetryable } from './errors.js';

/** How often and how patiently a refused API call is tried again. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5000 };

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with full jitter, or the server's Retry-After when it gave one. */
export function backoffMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Runs an API call, trying again on throttling (429), server errors and lost connections.
 * Anything else (404, 409, 422, 403) is the caller's to handle and is thrown at once.
 */
export async function withRetry<T>(
  what: string,
  call: () => Promise<T>,
  log: Logger,
  policy: RetryPolicy = DEFAULT_RETRY,
  sleep: Sleep = realSleep,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (err: unknown) {
      if (!isRetryable(err) || attempt + 1 >= policy.attempts) throw err;
      const failure = apiFailure(err);
      const delayMs = failure.retryAfterMs ?? backoffMs(policy, attempt);
      log.warn({ call: what, status: failure.status, attempt, delayMs, err }, 'api call retried');
      await sleep(delayMs);
    }
  }
}
