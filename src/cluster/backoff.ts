/**
 * The one retry schedule of the cluster side: doubling from `baseMs` after each consecutive
 * failure, capped at `maxMs`. The API server and etcd recover on their own; a steady doubling
 * keeps many replicas from hammering them while they do.
 */
export function backoffDelayMs(failures: number, { baseMs, maxMs }: { readonly baseMs: number; readonly maxMs: number }): number {
  // Past 2^20 the cap applies anyway; keeping the exponent small keeps the number finite.
  return Math.min(baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 20), maxMs);
}
