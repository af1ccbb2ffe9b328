import type { AuditDecision } from '../audit/audit-log.ts';
import { type DecisionCounts, type Timeline, zeroDecisions } from './model.ts';

interface Bucket {
  readonly decisions: DecisionCounts;
  repairs: number;
}

const minute = 60_000;
const day = 24 * 60 * minute;
// Each width divides the next and buckets start at multiples of their width since the
// epoch, so widening merges whole buckets and no count is split or guessed.
const widths = [minute, 5 * minute, 15 * minute, 30 * minute, 60 * minute, 180 * minute, 360 * minute, 720 * minute, day, 7 * day];

function widthAt(level: number): number {
  const last = widths.length - 1;
  return level <= last ? (widths[level] as number) : (widths[last] as number) * 4 ** (level - last);
}

/**
 * Decisions per time bucket in fixed memory: at most `maxBuckets` buckets whatever the span;
 * when a record falls outside, the buckets widen to the next width until it fits. Records
 * may come in any order (several replicas, several files).
 */
export class TimelineCounter {
  private readonly maxBuckets: number;
  private level = 0;
  private startMs = 0;
  private buckets: Bucket[] = [];

  constructor(maxBuckets: number) {
    this.maxBuckets = maxBuckets;
  }

  add(timeMs: number, what: AuditDecision | 'repair'): void {
    const bucket = this.bucketFor(timeMs);
    if (what === 'repair') bucket.repairs += 1;
    else bucket.decisions[what] += 1;
  }

  result(): Timeline {
    const width = widthAt(this.level);
    return {
      bucketSeconds: width / 1000,
      buckets: this.buckets.map((bucket, index) => ({
        start: new Date(this.startMs + index * width).toISOString(),
        decisions: { ...bucket.decisions },
        repairs: bucket.repairs,
      })),
    };
  }

  private bucketFor(timeMs: number): Bucket {
    if (this.buckets.length === 0) {
      this.startMs = floorTo(timeMs, widthAt(this.level));
      this.buckets.push(emptyBucket());
    }
    this.cover(timeMs);
    const index = Math.floor((timeMs - this.startMs) / widthAt(this.level));
    return this.buckets[index] as Bucket;
  }

  /** Extends (and if needed widens) the buckets so that one covers `timeMs`. */
  private cover(timeMs: number): void {
    let width = widthAt(this.level);
    let from = Math.min(this.startMs, floorTo(timeMs, width));
    let to = Math.max(this.startMs + this.buckets.length * width, floorTo(timeMs, width) + width);
    let level = this.level;
    while ((to - from) / width > this.maxBuckets) {
      level += 1;
      width = widthAt(level);
      from = floorTo(from, width);
      to = floorTo(to - 1, width) + width;
    }
    if (level !== this.level || from !== this.startMs || to !== this.startMs + this.buckets.length * width) this.rebucket(level, from, to);
  }

  private rebucket(level: number, from: number, to: number): void {
    const oldWidth = widthAt(this.level);
    const width = widthAt(level);
    const buckets = Array.from({ length: (to - from) / width }, emptyBucket);
    this.buckets.forEach((old, index) => {
      const target = buckets[Math.floor((this.startMs + index * oldWidth - from) / width)] as Bucket;
      for (const decision of Object.keys(old.decisions) as AuditDecision[]) target.decisions[decision] += old.decisions[decision];
      target.repairs += old.repairs;
    });
    this.level = level;
    this.startMs = from;
    this.buckets = buckets;
  }
}

function floorTo(timeMs: number, width: number): number {
  return Math.floor(timeMs / width) * width;
}

function emptyBucket(): Bucket {
  return { decisions: zeroDecisions(), repairs: 0 };
}
