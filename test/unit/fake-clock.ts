/**
 * A clock the test moves itself (@sinonjs/fake-timers' createClock, never installed globally),
 * for the cluster side's injected Clock: intervals and orderings are asserted on it exactly,
 * however busy the machine is. Real I/O still happens in real time: after each timer fires,
 * time stands still until `idle()` says the requests it started have been answered.
 */
import { createClock } from '@sinonjs/fake-timers';
import type { Clock } from '../../src/cluster/clock.ts';

export interface FakeClock {
  /** What the code under test is given. */
  readonly clock: Clock;
  now(): number;
  /** Moves time forward by `ms`, firing each timer due by then at its own time and waiting for idleness after each. */
  advance(ms: number): Promise<void>;
  /** Fires timer after timer until `condition` holds; returns the time it first held at; throws once `limitMs` have passed. */
  advanceUntil(condition: () => boolean, limitMs: number): Promise<number>;
  /** Waits, in real time, until `idle()` holds (and queued callbacks have run). */
  settle(): Promise<void>;
}

export interface FakeClockOptions {
  /** Epoch ms; default 2026-12-01T00:00:00Z. */
  readonly start?: number;
  /** Whether the I/O the code under test started has finished; default: there is none. */
  readonly idle?: () => boolean;
  /** How long, in real time, `settle` waits for idleness before it gives up (default 30 s: a busy machine). */
  readonly idleTimeoutMs?: number;
}

export function fakeClock({ start = Date.parse('2026-12-01T00:00:00.000Z'), idle = () => true, idleTimeoutMs = 30_000 }: FakeClockOptions = {}): FakeClock {
  const fake = createClock(start);
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (callback, ms) => fake.setTimeout(callback, ms),
    clearTimeout: (timer) => fake.clearTimeout(timer as Parameters<typeof fake.clearTimeout>[0]),
    setInterval: (callback, ms) => fake.setInterval(callback, ms),
    clearInterval: (timer) => fake.clearInterval(timer as Parameters<typeof fake.clearInterval>[0]),
  };
  const settle = async (): Promise<void> => {
    const deadline = Date.now() + idleTimeoutMs;
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (idle()) return;
      if (Date.now() > deadline) throw new Error(`fake clock: the code under test was still busy after ${idleTimeoutMs} ms of real time`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const advanceUntil = async (condition: () => boolean, limitMs: number): Promise<number> => {
    const limit = fake.now + limitMs;
    // A timer of our own at the limit, so the loop below never steps past it.
    const sentinel = fake.setTimeout(() => {}, limitMs);
    try {
      await settle();
      while (!condition()) {
        if (fake.now >= limit) throw new Error(`fake clock: condition not reached within ${limitMs} ms of fake time`);
        await fake.nextAsync();
        await settle();
      }
      return fake.now;
    } finally {
      fake.clearTimeout(sentinel);
    }
  };
  return {
    clock,
    now: () => fake.now,
    async advance(ms) {
      const target = fake.now + ms;
      await advanceUntil(() => fake.now >= target, ms);
      // Timers due at the target itself that were set after advancing began.
      await fake.tickAsync(0);
      await settle();
    },
    advanceUntil,
    settle,
  };
}
