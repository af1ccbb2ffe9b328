// TopCounter: exact counts per key up to its capacity, bounded and flagged approximate beyond.
import t from 'tap';
import { TopCounter } from '../../src/report/top-counter.ts';

t.test('exact while keys fit: totals, per-decision counts, repairs, order', async (t) => {
  const counter = new TopCounter(10);
  for (const [key, what] of [
    ['products-prod', 'denied'],
    ['payments', 'patched'],
    ['products-prod', 'patched'],
    ['products-prod', 'repair'],
    ['payments', 'patched'],
    ['kube-system', 'exempt'],
    ['alpha', 'allowed'],
  ] as const) {
    counter.add(key, what);
  }
  const zero = { allowed: 0, patched: 0, warned: 0, denied: 0, exempt: 0 };
  t.strictSame(counter.top(3), {
    approximate: false,
    entries: [
      { key: 'products-prod', total: 3, decisions: { ...zero, denied: 1, patched: 1 }, repairs: 1, error: 0 },
      { key: 'payments', total: 2, decisions: { ...zero, patched: 2 }, repairs: 0, error: 0 },
      // Ties by key: alpha before kube-system.
      { key: 'alpha', total: 1, decisions: { ...zero, allowed: 1 }, repairs: 0, error: 0 },
    ],
  });
});

t.test('more keys than capacity: memory stays at capacity, heavy keys stay exact at the top', async (t) => {
  const counter = new TopCounter(50);
  // 100,000 records: three heavy namespaces among 20,000 that appear a few times each.
  for (let i = 0; i < 100_000; i += 1) {
    if (i % 10 === 0) counter.add('products-prod', 'patched');
    else if (i % 10 === 1) counter.add('payments', 'denied');
    else if (i % 10 === 2) counter.add('products-stage', 'allowed');
    else counter.add(`tenant-${i % 20_000}`, 'allowed');
  }
  const result = counter.top(100);
  t.equal(result.approximate, true);
  t.equal(result.entries.length, 50, 'never more keys than its capacity');
  t.strictSame(
    result.entries.slice(0, 3).map((e) => [e.key, e.total, e.error]),
    [
      ['payments', 10_000, 0],
      ['products-prod', 10_000, 0],
      ['products-stage', 10_000, 0],
    ],
    'the heavy keys lead with exact counts: evictions only ever hit the least counted',
  );
  t.ok(result.entries.slice(3).every((e) => e.error > 0 && e.total - e.error <= 5), 'the long tail is marked with how much it may overstate');
});
