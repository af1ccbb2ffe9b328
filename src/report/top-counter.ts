import type { AuditDecision } from '../audit/audit-log.ts';
import { type Breakdown, type BreakdownEntry, type DecisionCounts, zeroDecisions } from './model.ts';

interface Slot {
  readonly key: string;
  count: number;
  readonly error: number;
  readonly decisions: DecisionCounts;
  repairs: number;
}

/**
 * Counts records per key in bounded memory: the Space-Saving algorithm (Metwally, Agrawal,
 * El Abbadi 2005) keeps `capacity` keys in a min-heap; a new key beyond that replaces the
 * least-counted one and inherits its count as its possible overstatement (`error`). Exact
 * while there are no more distinct keys than `capacity`, and any key counted more than
 * records / capacity times is always kept, so the top of a busy log is reliable.
 */
export class TopCounter {
  private readonly capacity: number;
  private readonly heap: Slot[] = [];
  private readonly positions = new Map<string, number>();
  private evicted = false;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  add(key: string, what: AuditDecision | 'repair'): void {
    const position = this.positions.get(key) ?? this.insert(key);
    const slot = this.heap[position] as Slot;
    slot.count += 1;
    if (what === 'repair') slot.repairs += 1;
    else slot.decisions[what] += 1;
    this.siftDown(position);
  }

  /** The `limit` most counted keys, most first, ties by key. */
  top(limit: number): Breakdown {
    const entries = [...this.heap]
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, limit)
      .map((slot): BreakdownEntry => ({ key: slot.key, total: slot.count, decisions: { ...slot.decisions }, repairs: slot.repairs, error: slot.error }));
    return { approximate: this.evicted, entries };
  }

  private insert(key: string): number {
    if (this.heap.length < this.capacity) {
      this.heap.push({ key, count: 0, error: 0, decisions: zeroDecisions(), repairs: 0 });
      return this.siftUp(this.heap.length - 1);
    }
    const least = this.heap[0] as Slot;
    this.positions.delete(least.key);
    this.evicted = true;
    this.heap[0] = { key, count: least.count, error: least.count, decisions: zeroDecisions(), repairs: 0 };
    this.positions.set(key, 0);
    return 0;
  }

  private siftUp(start: number): number {
    let at = start;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.countAt(parent) <= this.countAt(at)) break;
      this.swap(at, parent);
      at = parent;
    }
    this.positions.set((this.heap[at] as Slot).key, at);
    return at;
  }

  private siftDown(start: number): void {
    let at = start;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let least = at;
      if (left < this.heap.length && this.countAt(left) < this.countAt(least)) least = left;
      if (right < this.heap.length && this.countAt(right) < this.countAt(least)) least = right;
      if (least === at) return;
      this.swap(at, least);
      at = least;
    }
  }

  private countAt(position: number): number {
    return (this.heap[position] as Slot).count;
  }

  private swap(a: number, b: number): void {
    const first = this.heap[a] as Slot;
    const second = this.heap[b] as Slot;
    this.heap[a] = second;
    this.heap[b] = first;
    this.positions.set(second.key, a);
    this.positions.set(first.key, b);
  }
}
