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
  // Ten more at 50/s need at least 200 ms; timers may only be late, never early.
  t.ok((times[14] as number) >= 195, `the other 10 wait for tokens (${(times[14] as number).toFixed(0)} ms)`);
});

t.test('the burst is taken at once, before any token has to be waited for', async (t) => {
  // A clock that never moves: only the burst is there to take, the sixth caller waits 1 s.
  const limiter = new RateLimiter({ qps: 1, burst: 5 }, () => 0);
  let taken = 0;
  const all = Array.from({ length: 6 }, () => limiter.acquire().then(() => taken++));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(taken, 5);
  await Promise.all(all);
  t.equal(taken, 6);
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
