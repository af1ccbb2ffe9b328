// The reconciler's client-side rate limit: a burst, then no more than qps, in order.
import t from 'tap';
import { RateLimiter } from '../../src/cluster/rate-limiter.ts';

t.test('a burst goes at once, then tokens come at qps, in the order asked', async (t) => {
  const limiter = new RateLimiter({ qps: 50, burst: 5 });
  const started = performance.now();
  const order: number[] = [];
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: 15 }, (_, i) =>
      limiter.acquire().then(() => {
        order.push(i);
        times.push(performance.now() - started);
      }),
    ),
  );
  t.same(order, Array.from({ length: 15 }, (_, i) => i), 'first come, first served');
  t.ok((times[4] as number) < 15, `the burst of 5 is immediate (${(times[4] as number).toFixed(1)} ms)`);
  // Ten more at 50/s need at least 200 ms; timers may only be late, never early.
  t.ok((times[14] as number) >= 195, `the other 10 wait for tokens (${(times[14] as number).toFixed(0)} ms)`);
});

t.test('tokens saved while idle never exceed the burst', async (t) => {
  let clock = 0;
  const limiter = new RateLimiter({ qps: 10, burst: 3 }, () => clock);
  for (let i = 0; i < 3; i++) await limiter.acquire();
  clock += 60_000;
  const immediate: boolean[] = [];
  for (let i = 0; i < 4; i++) {
    let done = false;
    const taken = limiter.acquire().then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    immediate.push(done);
    if (!done) {
      clock += 100;
      await taken;
    }
  }
  t.same(immediate, [true, true, true, false], 'a minute idle saves 3 tokens, not 600');
});
