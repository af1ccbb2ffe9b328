/** What a timer call returns; only ever handed back to the clock that made it. */
export type TimerHandle = object | number;

/**
 * Time as the cluster side sees it: the wall clock (Lease times are wall-clock MicroTime) and
 * the timers that pace renewals, retries and resyncs. Injected, as the rate limiter's clock is,
 * so tests can assert orderings and intervals on a clock they move themselves instead of
 * sleeping and hoping a busy machine kept up.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(timer: TimerHandle | undefined): void;
  setInterval(callback: () => void, ms: number): TimerHandle;
  clearInterval(timer: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
};

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
