// TimelineCounter: fixed-size buckets that widen (merging whole buckets) as the span grows.
import t from 'tap';
import { TimelineCounter } from '../../src/report/timeline.ts';

const at = (iso: string): number => Date.parse(iso);
const zero = { allowed: 0, patched: 0, warned: 0, denied: 0, exempt: 0 };

t.test('a short span: one-minute buckets from the first record, gaps kept as empty buckets', async (t) => {
  const timeline = new TimelineCounter(60);
  timeline.add(at('2026-11-30T08:00:10Z'), 'patched');
  timeline.add(at('2026-11-30T08:02:59Z'), 'denied');
  timeline.add(at('2026-11-30T08:00:50Z'), 'repair');
  t.strictSame(timeline.result(), {
    bucketSeconds: 60,
    buckets: [
      { start: '2026-11-30T08:00:00.000Z', decisions: { ...zero, patched: 1 }, repairs: 1 },
      { start: '2026-11-30T08:01:00.000Z', decisions: zero, repairs: 0 },
      { start: '2026-11-30T08:02:00.000Z', decisions: { ...zero, denied: 1 }, repairs: 0 },
    ],
  });
});

t.test('records out of order (several replicas) extend the timeline backwards', async (t) => {
  const timeline = new TimelineCounter(60);
  timeline.add(at('2026-11-30T08:05:00Z'), 'allowed');
  timeline.add(at('2026-11-30T08:03:30Z'), 'allowed');
  const result = timeline.result();
  t.equal(result.buckets[0]?.start, '2026-11-30T08:03:00.000Z');
  t.strictSame(
    result.buckets.map((b) => b.decisions.allowed),
    [1, 0, 1],
  );
});

t.test('a long span widens the buckets, never exceeds the limit, and loses no count', async (t) => {
  const timeline = new TimelineCounter(12);
  // One record a minute for six hours: 1-minute → 5 → 15 → 30-minute buckets (12 of them).
  for (let minute = 0; minute < 360; minute += 1) timeline.add(at('2026-11-30T06:00:00Z') + minute * 60_000, minute % 2 === 0 ? 'allowed' : 'denied');
  const result = timeline.result();
  t.equal(result.bucketSeconds, 1800);
  t.equal(result.buckets.length, 12);
  t.equal(result.buckets[0]?.start, '2026-11-30T06:00:00.000Z');
  t.ok(
    result.buckets.every((b) => b.decisions.allowed === 15 && b.decisions.denied === 15),
    'every 30-minute bucket holds its 30 records',
  );
});

t.test('a span of years stays within the limit', async (t) => {
  const timeline = new TimelineCounter(60);
  timeline.add(at('2024-01-01T00:00:00Z'), 'allowed');
  timeline.add(at('2026-11-30T00:00:00Z'), 'denied');
  const result = timeline.result();
  t.ok(result.buckets.length <= 60, `${result.buckets.length} buckets`);
  t.equal(result.bucketSeconds, 28 * 86_400);
  t.equal(result.buckets.reduce((sum, b) => sum + b.decisions.allowed + b.decisions.denied, 0), 2);
});

t.test('nothing counted: no buckets', async (t) => {
  t.strictSame(new TimelineCounter(60).result(), { bucketSeconds: 60, buckets: [] });
});
