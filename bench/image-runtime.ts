/**
 * How the image runs node (Dockerfile; keep the two in step), so that the benches measure the
 * servers as they run in the pod: the same V8 flags and the same memory allocator.
 */
import { existsSync } from 'node:fs';

/**
 * The ENTRYPOINT's V8 flags. 8 MiB semi-spaces: with the young generation Node derives from a
 * 256Mi limit (1 MiB), a 10 KB review per request means a scavenge every few hundred requests
 * and promotion of in-flight requests; measured here: peak +40 % for ~+10 MiB RSS.
 */
export const imageNodeFlags: readonly string[] = ['--max-semi-space-size=8'];

export type Allocator = 'jemalloc' | 'glibc';

/** Where Debian's libjemalloc2 puts the library on this architecture (the image links it from there). */
function debianJemallocPath(): string | undefined {
  const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch as string];
  return triplet === undefined ? undefined : `/usr/lib/${triplet}/libjemalloc.so.2`;
}

export interface AllocatorChoice {
  /** What the servers actually run on. */
  readonly allocator: Allocator;
  /** Their environment's additions (LD_PRELOAD for jemalloc). */
  readonly env: Readonly<Record<string, string>>;
  /** Why the servers do not run on the allocator asked for, when they do not. */
  readonly note?: string;
}

/**
 * The image preloads jemalloc (LD_PRELOAD): glibc's malloc keeps what V8's compiler threads
 * free for the life of the process, jemalloc hands it back (README "Measured" has the figures).
 * Asking for jemalloc where libjemalloc2 is not installed runs the servers on glibc and says so.
 */
export function chooseAllocator(wanted: Allocator): AllocatorChoice {
  if (wanted === 'glibc') return { allocator: 'glibc', env: {} };
  const library = debianJemallocPath();
  if (library !== undefined && existsSync(library)) return { allocator: 'jemalloc', env: { LD_PRELOAD: library } };
  return {
    allocator: 'glibc',
    env: {},
    note: `jemalloc, which the image preloads, is not installed here (${library ?? `no Debian path for ${process.arch}`}; apt-get install libjemalloc2): the servers run on glibc's malloc, and their RSS is not the image's`,
  };
}
