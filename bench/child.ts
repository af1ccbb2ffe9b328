/**
 * What the two benchmark servers (webhook-server.ts, ceiling-server.ts) share: their
 * arguments, the IPC conversation with run.ts, and the figures they report about themselves
 * (counters, where their memory is, how long their event loop stalled).
 *
 * The port goes over IPC rather than stdout because the webhook's audit sink always writes to
 * fd 1: run.ts points the children's stdout at a FIFO drained into a file (as a container runtime does), so
 * stdout cannot double as a control channel.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics } from 'node:v8';
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay } from 'node:perf_hooks';

export interface ChildStats {
  /** Whatever the server counts (the webhook: cluster reads, baseline applies). */
  readonly counters: Readonly<Record<string, number>>;
  /** Where the RSS goes, MiB: process.memoryUsage() and V8's committed size per heap space. */
  readonly memory: Readonly<Record<string, number>>;
  /** Since the last `reset`: how long the event loop was held up, and by GC (with --observe-gc), ms. */
  readonly stalls: Readonly<{ loopDelayP99: number; loopDelayMax: number; gc?: { count: number; major: number; total: number; max: number } }>;
}

export type ChildMessage = { readonly type: 'listening'; readonly port: number } | { readonly type: 'stats'; readonly stats: ChildStats };
export type ParentMessage = { readonly type: 'reset' } | { readonly type: 'stats' } | { readonly type: 'shutdown' };

const { values: args } = parseArgs({ options: { 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'observe-gc': { type: 'boolean', default: false } } });

export function tlsFromArgs(): { cert: string; key: string } {
  if (args['tls-cert'] === undefined || args['tls-key'] === undefined) throw new Error('--tls-cert and --tls-key are required');
  return { cert: readFileSync(args['tls-cert'], 'utf8'), key: readFileSync(args['tls-key'], 'utf8') };
}

/** The part of a fastify instance used here, whatever its server type (http or https). */
interface ListeningApp {
  listen(options: { host: string; port: number }): Promise<string>;
  close(): Promise<unknown>;
  readonly server: { address(): AddressInfo | string | null };
}

/**
 * Listens on an ephemeral loopback port, reports it, answers `stats`, and on `shutdown` closes
 * and exits normally: --cpu-prof only writes its profile on a normal exit.
 */
export async function serveForBenchmark(app: ListeningApp, options: { stats?: () => Record<string, number>; beforeExit?: () => void } = {}): Promise<void> {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('started without an IPC channel: run it through bench/run.ts');
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const stalls = watchStalls();
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'reset') stalls.reset();
    if (message.type === 'stats') send({ type: 'stats', stats: { counters: options.stats?.() ?? {}, memory: memoryBreakdown(), stalls: stalls.read() } } satisfies ChildMessage);
    if (message.type === 'shutdown') void shutdown();
  });
  // An orphan would keep a core busy and skew the next run: leave with the parent.
  process.on('disconnect', () => void shutdown());
  send({ type: 'listening', port } satisfies ChildMessage);

  let closing = false;
  async function shutdown(): Promise<void> {
    if (closing) return;
    closing = true;
    await app.close();
    options.beforeExit?.();
    process.exit(0);
  }
}

function memoryBreakdown(): Record<string, number> {
  const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const memory: Record<string, number> = { rss: mib(rss), heapTotal: mib(heapTotal), heapUsed: mib(heapUsed), external: mib(external), arrayBuffers: mib(arrayBuffers) };
  for (const space of getHeapSpaceStatistics()) memory[space.space_name] = mib(space.space_size);
  // Anonymous memory is what the process allocated; file-backed is mapped code, shared and reclaimable.
  const status = readFileSync('/proc/self/status', 'utf8');
  for (const [key, field] of [['rssAnon', 'RssAnon'], ['rssFile', 'RssFile']] as const) {
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1];
    if (kib !== undefined) memory[key] = mib(Number(kib) * 1024);
  }
  return memory;
}

/**
 * Where a latency tail can come from inside the server: event-loop delay (any synchronous
 * stretch, GC included), sampled every 1 ms by a native timer at negligible cost; and, only
 * when asked, every GC pause V8 reports. The GC observer is opt-in because Node builds a
 * PerformanceEntry per collection in JavaScript: about 1 % of the webhook's CPU, charged to
 * the process being measured.
 */
function watchStalls(): { reset(): void; read(): ChildStats['stalls'] } {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const gc = { count: 0, major: 0, total: 0, max: 0 };
  if (args['observe-gc']) {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        gc.count++;
        if ((entry as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
        gc.total += entry.duration;
        gc.max = Math.max(gc.max, entry.duration);
      }
    }).observe({ entryTypes: ['gc'] });
  }
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return {
    reset() {
      loop.reset();
      Object.assign(gc, { count: 0, major: 0, total: 0, max: 0 });
    },
    read() {
      // The histogram is in nanoseconds and includes the 1 ms sampling interval itself.
      const loopFigures = { loopDelayP99: round(loop.percentile(99) / 1e6), loopDelayMax: round(loop.max / 1e6) };
      return args['observe-gc'] ? { ...loopFigures, gc: { count: gc.count, major: gc.major, total: round(gc.total), max: round(gc.max) } } : loopFigures;
    },
  };
}
