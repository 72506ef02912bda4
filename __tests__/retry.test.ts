import { describe, expect, it } from '@jest/globals';
import type { RetryErrorInfo } from '@smithy/types';
import { BoundedRetryStrategy, type RetryPolicy, runRetryPolicy } from '../src/retry.js';

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  maxAttempts: 4,
  baseDelayMs: 100,
  throttlingBaseDelayMs: 500,
  maxDelayMs: 1_000,
  deadline: 1_000_000,
  random: () => 1,
  now: () => 0,
  ...overrides,
});
const info = (errorType: RetryErrorInfo['errorType'], retryAfterHint?: Date) => ({ errorType, retryAfterHint }) as RetryErrorInfo;

async function delays(strategy: BoundedRetryStrategy, errorType: RetryErrorInfo['errorType']): Promise<number[]> {
  const out: number[] = [];
  let token = await strategy.acquireInitialRetryToken();
  for (;;) {
    try {
      token = await strategy.refreshRetryTokenForRetry(token, info(errorType));
    } catch {
      return out;
    }
    out.push(token.getRetryDelay());
  }
}

describe('BoundedRetryStrategy', () => {
  it('backs off exponentially up to the cap, from a higher base for throttling, and stops at maxAttempts', async () => {
    expect(await delays(new BoundedRetryStrategy(policy()), 'SERVER_ERROR')).toEqual([100, 200, 400]);
    expect(await delays(new BoundedRetryStrategy(policy()), 'THROTTLING')).toEqual([500, 1000, 1000]);
  });

  it('does not retry client errors', async () => {
    expect(await delays(new BoundedRetryStrategy(policy()), 'CLIENT_ERROR')).toEqual([]);
  });

  it('jitters the delay', async () => {
    expect(await delays(new BoundedRetryStrategy(policy({ random: () => 0.5 })), 'SERVER_ERROR')).toEqual([50, 100, 200]);
  });

  it("stops when a retry would end past the run's deadline", async () => {
    expect(await delays(new BoundedRetryStrategy(policy({ deadline: 350 })), 'SERVER_ERROR')).toEqual([100, 200]);
  });

  it('honours a Retry-After hint, within the cap', async () => {
    const strategy = new BoundedRetryStrategy(policy({ random: () => 0 }));
    const token = await strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(), info('THROTTLING', new Date(700)));
    expect(token.getRetryDelay()).toBe(700);
  });
});

describe('runRetryPolicy', () => {
  it('counts the 75 s budget from the start of the run, not from module load', () => {
    expect(runRetryPolicy(1_000_000).deadline).toBe(1_075_000);
    expect(runRetryPolicy(5_000_000).deadline).toBe(5_075_000);
  });
});

describe("IAM's LimitExceeded", () => {
  it('is never retried, though the SDK classes it as throttling: it is a quota or the versions race', async () => {
    const strategy = new BoundedRetryStrategy(policy());
    const error = Object.assign(new Error('Cannot exceed quota for ACLSizePerRole: 2048'), { name: 'LimitExceededException' });
    await expect(
      strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(), { errorType: 'THROTTLING', error } as never),
    ).rejects.toThrow(/not retried/);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    await expect(
      strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(), { errorType: 'THROTTLING', error: throttled } as never),
    ).resolves.toBeDefined();
  });
});
