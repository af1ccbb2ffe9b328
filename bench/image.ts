/**
 * npm run image:measure [-- --runs N --settle-seconds S]
 *
 * The image as built by scripts/build-image.sh (cached) and run as the Deployment runs its pod
 * (harness/image.ts): its size, the time from `podman run` to /healthz 200 and to /readyz 200
 * against a real kube-apiserver, and the webhook's RSS once idle. Prints a Markdown table for
 * docs/image.md, with the machine's load.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type ControlPlane, repoRoot, startControlPlane, waitFor } from '../harness/control-plane.ts';
import { type BuiltImage, imageInPodman, podFiles, podman, serveInImage } from '../harness/image.ts';
import { kubectlOk } from '../harness/kubectl.ts';

interface Run {
  readonly healthzMs: number;
  readonly readyzMs: number;
  readonly rssMiB: number;
  /** Anonymous (heap, stacks): what the process itself allocated; the rest of RSS is mapped files. */
  readonly anonMiB: number;
  /**
   * The pod's memory cgroup (what the 256Mi limit is enforced on). cgroup v1 charges a page of a
   * file to the cgroup that first read it: the node binary's pages, read by an earlier container,
   * are in RSS but not here.
   */
  readonly cgroupMiB: number;
}

const MiB = 1024 * 1024;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'settle-seconds': { type: 'string', default: '30' } } });
const runs = Number(values.runs);
const settleMs = Number(values['settle-seconds']) * 1000;

/** The Dockerfile's base image, as container storage names it. */
function baseImage(): string {
  const from = /^FROM\s+(\S+)/m.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'))?.[1] ?? '';
  return from.includes('/') ? from : `docker.io/library/${from}`;
}

function load(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

async function imageSize(reference: string): Promise<number | undefined> {
  const inspected = await podman(['image', 'inspect', '--format={{.Size}}', reference]);
  return inspected.code === 0 ? Number(inspected.stdout.trim()) : undefined;
}

/** Sizes of what the image adds to its base (as root, reading the image's own files). */
async function contentsKiB(image: BuiltImage): Promise<string> {
  const du = await podman(['run', '--rm', '--network=none', '--entrypoint=du', image.id, '-sk', '/app/node_modules', '/app/dist', '/usr/local']);
  return du.stdout.trim().split('\n').map((line) => {
    const [kib, path] = line.split('\t');
    return `${path} ${(Number(kib) / 1024).toFixed(1)} MiB`;
  }).join(', ');
}

function statusMiB(pid: number, field: 'VmRSS' | 'RssAnon'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

function memoryCgroupBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:[^:]*\bmemory\b[^:]*:/.test(l));
  const path = line?.split(':')[2] ?? '';
  return Number(readFileSync(join('/sys/fs/cgroup/memory', path, 'memory.usage_in_bytes'), 'utf8'));
}

async function measureOnce(image: BuiltImage, cp: ControlPlane, dir: string, index: number): Promise<Run> {
  const files = await podFiles(mkdtempSync(join(dir, `run-${index}-`)), { kubeconfigFrom: cp.kubeconfigPath });
  const started = performance.now();
  const container = await serveInImage(image, files, join(dir, `run-${index}.log`));
  try {
    await waitFor('/healthz 200', 120_000, [container.process], async () => (await container.request('GET', '/healthz')).status === 200, 50);
    const healthzMs = performance.now() - started;
    await waitFor('/readyz 200', 120_000, [container.process], async () => (await container.request('GET', '/readyz')).status === 200, 50);
    const readyzMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const pid = await container.pid();
    if (pid === undefined) throw new Error(`${container.name} is not running:\n${container.process.tail()}`);
    return { healthzMs, readyzMs, rssMiB: statusMiB(pid, 'VmRSS'), anonMiB: statusMiB(pid, 'RssAnon'), cgroupMiB: memoryCgroupBytes(pid) / MiB };
  } finally {
    await container.stop();
  }
}

async function main(): Promise<void> {
  const loadBefore = load();
  const image = await imageInPodman();
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-image-measure-'));
  const cp = await startControlPlane();
  const results: Run[] = [];
  try {
    await kubectlOk(cp, ['create', 'namespace', 'netpol-hygiene']);
    for (let i = 0; i < runs; i++) results.push(await measureOnce(image, cp, dir, i));
  } finally {
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const base = await podman(['image', 'inspect', '--format={{index .Labels "io.netpol-hygiene.stand-in"}}', image.id]);
  const size = await imageSize(image.id);
  const baseSize = await imageSize(baseImage());
  console.log(`image ${image.repoTags.join(', ')} (${image.id.slice(0, 12)}), archive ${image.archive}`);
  console.log(`base: ${base.stdout.trim().replace(/^<no value>$/, '') || `${baseImage()} from local storage`}`);
  console.log(`size: image ${((size ?? 0) / MiB).toFixed(1)} MiB, base ${((baseSize ?? 0) / MiB).toFixed(1)} MiB, archive ${(statSync(image.archive).size / MiB).toFixed(1)} MiB; ${await contentsKiB(image)}`);
  console.log(`load average (1/5/15 min): ${loadBefore} before, ${load()} after; ${runs} runs, RSS ${settleMs / 1000} s after ready\n`);
  console.log('| run | podman run → /healthz 200 | → /readyz 200 | idle RSS | of it anonymous | memory cgroup |');
  console.log('|---|---|---|---|---|---|');
  results.forEach((r, i) => {
    console.log(`| ${i + 1} | ${(r.healthzMs / 1000).toFixed(2)} s | ${(r.readyzMs / 1000).toFixed(2)} s | ${r.rssMiB.toFixed(1)} MiB | ${r.anonMiB.toFixed(1)} MiB | ${r.cgroupMiB.toFixed(1)} MiB |`);
  });
}

await main();
