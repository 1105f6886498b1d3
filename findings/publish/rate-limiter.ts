import { setTimeout as delay } from 'node:timers/promises';

/** Time, injectable: tests run 10,000 findings through the limiter without waiting for the wall clock. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; an aborted signal resolves it at once (nothing is left to wait for). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    delay(Math.max(0, ms), undefined, signal ? { signal } : undefined).catch((error: unknown) => {
      if (!signal?.aborted) throw error;
    }),
};

/**
 * A token bucket: `ratePerSecond` tokens a second, at most `capacity` saved up, `initial` in it at the
 * start (default: full). Callers queue in order, so concurrent callers share the rate instead of each
 * taking it. In any window of t seconds at most capacity + rate·t tokens are handed out.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    private readonly clock: Clock = systemClock,
    initial = capacity,
  ) {
    if (!(ratePerSecond > 0) || !(capacity >= 1) || !(initial >= 0 && initial <= capacity))
      throw new RangeError('TokenBucket: rate must be > 0, capacity ≥ 1 and 0 ≤ initial ≤ capacity');
    this.tokens = initial;
    this.last = clock.now();
  }

  /** Resolves when the caller may send one request. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.takeOne());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }

  private async takeOne(): Promise<void> {
    this.refill();
    // The tolerance absorbs floating-point dust: a token refilled to 0.9999999… is a whole one.
    while (this.tokens < 1 - 1e-9) {
      await this.clock.sleep(Math.max(1, Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000 - 1e-6)));
      this.refill();
    }
    this.tokens = Math.max(0, this.tokens - 1);
  }
}

/** "Full jitter" exponential back-off: a random pause in [0, min(cap, base·2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
