/**
 * A token bucket, as client-go's default client rate limiter: `qps` tokens a second, up to
 * `burst` saved. Callers await `acquire()` before each API call; waiting callers are served in
 * order, so a backlog of reconciler writes reaches the API server at no more than `qps`.
 */
export class RateLimiter {
  private readonly qps: number;
  private readonly burst: number;
  private tokens: number;
  private refilledAt: number;
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor({ qps, burst }: { readonly qps: number; readonly burst: number }, now: () => number = () => performance.now()) {
    this.qps = qps;
    this.burst = Math.max(1, burst);
    this.tokens = this.burst;
    this.now = now;
    this.refilledAt = now();
  }

  /** Resolves when a token is taken; calls resolve in the order they were made. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.take());
    this.queue = turn;
    return turn;
  }

  private async take(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      await new Promise((resolve) => setTimeout(resolve, ((1 - this.tokens) / this.qps) * 1000));
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.qps);
    this.refilledAt = now;
  }
}
