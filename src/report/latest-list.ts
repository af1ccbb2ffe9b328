import type { LatestList } from './model.ts';

/**
 * The `limit` most recent items of a stream in any time order (replicas and files
 * interleave), plus how many there were: memory is bounded by `limit`.
 */
export class LatestKeeper<T> {
  private readonly limit: number;
  /** Newest first. */
  private readonly kept: { readonly timeMs: number; readonly item: T }[] = [];
  private total = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  add(timeMs: number, item: () => T): void {
    this.total += 1;
    const oldest = this.kept.at(-1);
    if (this.kept.length >= this.limit && (oldest === undefined || timeMs <= oldest.timeMs)) return;
    // After the last one at least as new, so equal times keep their reading order.
    let at = this.kept.length;
    while (at > 0 && (this.kept[at - 1] as { timeMs: number }).timeMs < timeMs) at -= 1;
    this.kept.splice(at, 0, { timeMs, item: item() });
    if (this.kept.length > this.limit) this.kept.pop();
  }

  result(): LatestList<T> {
    return { total: this.total, shown: this.kept.map((entry) => entry.item), notShown: this.total - this.kept.length };
  }
}
