/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and prints where the time went: by area (our code,
 * each package, node internals, GC) and by function, self and inclusive.
 *
 *   node bench/profile-summary.ts <file.cpuprofile> [top]
 *
 * run.ts --cpu-prof runs it on the webhook's profile after the run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds on the monotonic clock, the one process.hrtime() reads. */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A stretch of time on the monotonic clock, in microseconds (process.hrtime.bigint() / 1000). */
export interface TimeWindow {
  readonly startUs: number;
  readonly endUs: number;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Where a frame's code lives: `src/admission/handler.ts`, `fastify`, `node:internal/tls/...`. */
function area(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const [first = '', second = ''] = path.slice(inModules + '/node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  if (path.startsWith(repoRoot)) return path.slice(repoRoot.length).replace(/^bench\/\.build\//, '');
  return path;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = area(url, functionName);
  const name = functionName === '' ? '(anonymous)' : functionName;
  return url === '' ? name : `${name}  ${where}:${lineNumber + 1}`;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly areas: readonly (readonly [string, number])[];
  readonly self: readonly (readonly [string, number])[];
  readonly inclusive: readonly (readonly [string, number])[];
}

/** Where the time went, over the whole profile or only the samples taken within `window`. */
export function summarizeProfile(profile: CpuProfile, window?: TimeWindow): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // timeDeltas[i] is the time since the previous sample; it is charged to sample i's frame.
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window === undefined || (at >= window.startUs && at <= window.endUs)) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });

  const add = (map: Map<string, number>, key: string, us: number): void => {
    map.set(key, (map.get(key) ?? 0) + us);
  };
  const areas = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;

  // Depth-first from the root, keeping the names on the stack so recursion is counted once.
  const root = profile.nodes[0];
  const onStack = new Map<string, number>();
  const walk = (node: ProfileNode): number => {
    const name = frameName(node);
    onStack.set(name, (onStack.get(name) ?? 0) + 1);
    let total = selfUs.get(node.id) ?? 0;
    add(self, name, total);
    add(areas, area(node.callFrame.url, node.callFrame.functionName), total);
    totalUs += total;
    for (const childId of node.children ?? []) {
      const child = byId.get(childId);
      if (child !== undefined) total += walk(child);
    }
    const depth = (onStack.get(name) ?? 1) - 1;
    onStack.set(name, depth);
    if (depth === 0) add(inclusive, name, total);
    return total;
  };
  if (root !== undefined) walk(root);

  const sorted = (map: Map<string, number>): [string, number][] => [...map].map(([k, us]): [string, number] => [k, us / 1000]).sort((a, b) => b[1] - a[1]);
  // Inclusive time is listed for our own code only: the framework's plumbing frames
  // (emit, runMicrotasks, ...) contain everything and say nothing.
  const ours = (name: string): boolean => / {2}src\//.test(name);
  return { totalMs: totalUs / 1000, areas: sorted(areas), self: sorted(self), inclusive: sorted(inclusive).filter(([name]) => ours(name)) };
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function formatProfile(summary: ProfileSummary, top = 20): string {
  const busyMs = summary.totalMs - (summary.areas.find(([name]) => name === '(idle)')?.[1] ?? 0);
  const pct = (ms: number): string => `${((100 * ms) / busyMs).toFixed(1).padStart(5)} %`;
  const block = (title: string, rows: readonly (readonly [string, number])[]): string[] => {
    const lines = rows.filter(([name, ms]) => name !== '(idle)' && ms >= 1).slice(0, top).map(([name, ms]) => `  ${pct(ms)}  ${ms.toFixed(0).padStart(7)} ms  ${name}`);
    return lines.length === 0 ? [] : [[title, ...lines].join('\n')];
  };
  return [
    `profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(busyMs / 1000).toFixed(1)} s busy (percentages are of busy time)`,
    ...block('by area (self time):', summary.areas),
    ...block('by function, self time:', summary.self),
    ...block('src/ functions, inclusive time (with everything they call):', summary.inclusive),
  ].join('\n\n');
}

export function summarizeProfileFile(file: string, top?: number): string {
  return formatProfile(summarizeProfile(readProfile(file)), top);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, top] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node bench/profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarizeProfileFile(file, top === undefined ? undefined : Number(top))}\n`);
}
