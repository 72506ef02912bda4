// Retries for every AWS call: throttling, 5xx and connection errors back off and retry; a service
// that keeps failing ends the run in bounded time. The SDK's standard mode shares a retry quota that a
// few hundred bucket reads under throttling would drain, and adaptive mode slows a whole client down
// after one throttle; this strategy has neither, only a bound per call and a time budget per run.
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Throttling backs off from a higher base. */
  throttlingBaseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts after this time (epoch ms): the run's budget. */
  deadline: number;
  random?: () => number;
  now?: () => number;
}

// The run's budget: 75 seconds from the start of the run for every retry of every call.
const RUN_BUDGET_MS = 75_000;

/** The retry policy of a run that starts at `startedAt`: the budget counts from there, not from module load. */
export function runRetryPolicy(startedAt: number = Date.now()): RetryPolicy {
  return {
    // 0.3^10: a call under 30% throttling fails all attempts about 6 times in a million.
    maxAttempts: 10,
    baseDelayMs: 100,
    throttlingBaseDelayMs: 500,
    maxDelayMs: 8_000,
    deadline: startedAt + RUN_BUDGET_MS,
  };
}

/**
 * The pause before retry number `attempt` (1 for the first retry) in ms, with full jitter from `baseDelayMs`;
 * undefined when the call has had its attempts or the pause would end after the run's budget.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, baseDelayMs: number, retryAfterMs = 0): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  // Full jitter spreads the retries of many parallel calls.
  let delay = Math.floor((policy.random ?? Math.random)() * Math.min(policy.maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
  if (retryAfterMs > 0) delay = Math.min(policy.maxDelayMs, Math.max(delay, retryAfterMs));
  if ((policy.now ?? Date.now)() + delay > policy.deadline) return undefined;
  return delay;
}

function token(retryCount: number, delay: number): RetryToken {
  return { getRetryCount: () => retryCount, getRetryDelay: () => delay };
}

export class BoundedRetryStrategy implements RetryStrategyV2 {
  constructor(private readonly policy: RetryPolicy = runRetryPolicy()) {}

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return token(0, 0);
  }

  /** Throws to stop retrying: the middleware then surfaces the call's last error. */
  async refreshRetryTokenForRetry(previous: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const { policy } = this;
    const attempt = previous.getRetryCount() + 1;
    if (info.errorType === 'CLIENT_ERROR' || attempt >= policy.maxAttempts) throw new Error('not retried');
    // The SDK counts IAM's LimitExceeded as throttling; it is a quota or the five-versions race, never load.
    if (/^LimitExceeded/.test((info.error as { name?: string } | undefined)?.name ?? '')) throw new Error('not retried: a quota');
    const base = info.errorType === 'THROTTLING' ? policy.throttlingBaseDelayMs : policy.baseDelayMs;
    const retryAfter = info.retryAfterHint ? info.retryAfterHint.getTime() - (policy.now ?? Date.now)() : 0;
    const delay = backoffDelay(policy, attempt, base, retryAfter);
    if (delay === undefined) throw new Error('retry budget spent');
    return token(attempt, delay);
  }

  recordSuccess(): void {}
}
