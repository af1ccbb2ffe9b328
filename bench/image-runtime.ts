/**
 * How the image runs node (Dockerfile; keep the two in step), so that the benches measure the
 * servers as they run in the pod, and how to try another allocator beside it.
 */
import { existsSync } from 'node:fs';

/**
 * The ENTRYPOINT's V8 flags. 8 MiB semi-spaces: with the young generation Node derives from a
 * 256Mi limit (1 MiB), a 10 KB review per request means a scavenge every few hundred requests
 * and promotion of in-flight requests; measured here: peak +40 % for ~+10 MiB RSS.
 */
export const imageNodeFlags: readonly string[] = ['--max-semi-space-size=8'];

/**
 * manifests/base/deployment.yaml limits the webhook's memory to 256Mi. Node sizes V8's heap
 * from that cgroup limit, not from the host's RAM: under 256 MiB it gets a 262 MiB heap
 * (nodejs/node#64646 measures exactly this), and V8 derives the young generation from the
 * heap size, so its semi-spaces stay at a few MiB. On this benchmark's host (no limit, many
 * GiB) V8 would instead let them grow to 64 MiB each under allocation pressure, adding over
 * 100 MiB of RSS the pod never has. --max-heap-size reproduces the pod's sizing.
 */
export const podHeapMiB = 262;

/**
 * The ENV the image sets for glibc's malloc. A fixed mmap threshold of 32 KiB: every block of
 * 32 KiB or more gets its own mapping, handed back to the kernel when freed. That is what V8's
 * compile jobs allocate their zones in (segments of up to 32 KiB, up to megabytes per compile,
 * on the platform's worker threads), and what a hostile multi-megabyte body is read
 * into. With glibc's default the threshold rises to the largest mapped block freed so far, and those
 * blocks then come from the per-thread arenas, which keep them. Measured under the bench's
 * fixed-rate load (malloc_stats): the webhook's malloc held 34.6 MiB for 12.2 in use, and
 * 16.3 for 12.2 with this. A review's own allocations (a ~10 KB body, TLS records) stay below it.
 */
export const imageEnvironment: Readonly<Record<string, string>> = { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=32768' };

/** glibc: the image's (node's own malloc, tuned by imageEnvironment); jemalloc: measured beside it, not adopted (docs/performance.md). */
export type Allocator = 'glibc' | 'jemalloc';

/**
 * The settings jemalloc was measured with: freed pages back after 1 s instead of its default
 * 10 s, which under hostile bodies got the webhook OOM-killed at 256 MiB in 2 of 3 runs (1 s:
 * 1 of 5; 0: none, but ~20-40 % more CPU per request at peak).
 */
export const jemallocConf = 'dirty_decay_ms:1000,muzzy_decay_ms:0';

/** Where Debian's libjemalloc2 puts the library on this architecture. */
function debianJemallocPath(): string | undefined {
  const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch as string];
  return triplet === undefined ? undefined : `/usr/lib/${triplet}/libjemalloc.so.2`;
}

export interface AllocatorChoice {
  /** What the servers actually run on. */
  readonly allocator: Allocator;
  /** Their environment's additions: the image's GLIBC_TUNABLES, or LD_PRELOAD and MALLOC_CONF for jemalloc. */
  readonly env: Readonly<Record<string, string>>;
  /** Why the servers do not run on the allocator asked for, or how it differs from the image. */
  readonly note?: string;
}

/** The benches' --allocator flag. */
export function parseAllocator(text: string): Allocator {
  if (text !== 'glibc' && text !== 'jemalloc') throw new Error(`--allocator must be glibc (the image's) or jemalloc, got "${text}"`);
  return text;
}

/** What the benches print about the servers' malloc: which one, and the environment that sets it up. */
export function describeAllocator(choice: AllocatorChoice): string {
  const env = Object.entries(choice.env).map(([name, value]) => `${name}=${value}`).join(' ');
  return choice.allocator === 'jemalloc' ? `jemalloc (${env}; not the image's)` : `glibc, as the image runs it (${env})`;
}

/** The image's allocator, or jemalloc preloaded for comparison where libjemalloc2 is installed. */
export function chooseAllocator(wanted: Allocator): AllocatorChoice {
  if (wanted === 'glibc') return { allocator: 'glibc', env: imageEnvironment };
  const library = debianJemallocPath();
  if (library !== undefined && existsSync(library)) {
    return { allocator: 'jemalloc', env: { LD_PRELOAD: library, MALLOC_CONF: jemallocConf }, note: "jemalloc preloaded for comparison: the image runs glibc's malloc, so these are not the image's figures" };
  }
  return { allocator: 'glibc', env: imageEnvironment, note: `jemalloc is not installed here (${library ?? `no Debian path for ${process.arch}`}; apt-get install libjemalloc2): the servers run on glibc's malloc, as the image does` };
}
