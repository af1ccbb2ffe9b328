import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';

/**
 * prom-client's default process metrics (`process_*`, `nodejs_*`), all but its GC histogram,
 * `nodejs_gc_duration_seconds`. That one observes every garbage collection through a
 * PerformanceObserver, and Node builds each GC's entry with its deprecated `kind` and `flags`
 * accessors, ~3 KB of objects per collection. A webhook parsing a 10 KB review per request runs
 * ~20 young-generation collections a second under load, and those entries outlive them: a
 * sampling heap profile put ~60 KB/s of the old generation's growth on them (~40 % of it), and
 * without them the webhook's old space under the bench's load is ~2.5 MiB smaller
 * (docs/performance.md). GC pauses still show, where they matter, in nodejs_eventloop_lag_seconds and the
 * admission latency histogram.
 *
 * prom-client offers its defaults only all together (collectDefaultMetrics), so each is
 * registered from its own module, in collectDefaultMetrics' order and with its settings; the
 * metrics test compares the result with collectDefaultMetrics, so an upgrade that moves, adds
 * or renames one fails there rather than in a pod.
 */
const collectors = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'eventLoopLag',
  // As collectDefaultMetrics: only where Node reports active resources (every Node we run on).
  ...(typeof process.getActiveResourcesInfo === 'function' ? ['processResources'] : []),
  'processHandles',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
] as const;

/** collectDefaultMetrics' own default. */
const config = { eventLoopMonitoringPrecision: 10 } as const;

type Collector = (registry: Registry, settings: typeof config) => void;

const requireFromHere = createRequire(import.meta.url);

export function registerProcessMetrics(registry: Registry): void {
  for (const name of collectors) {
    const collect = requireFromHere(`prom-client/lib/metrics/${name}`) as Collector;
    collect(registry, config);
  }
}
