/**
 * Does the webhook survive the worst bodies it accepts, many at once, under its Deployment's
 * memory limit and Node flags, and keep answering ordinary reviews meanwhile?
 *
 * The server is bench/webhook-server.ts (the real app in steady state) run with the image's
 * Node flags, inside a memory cgroup limited to the Deployment's 256 MiB when this machine
 * lets us make one (cgroup v1 or v2, as root), so Node sizes its heap from that limit as it
 * does in the pod and the kernel kills it if it goes over. Hostile senders post ~7 MB reviews
 * shaped to cost the most heap the shape guard lets through, back to back; an ordinary client
 * sends 10 KB reviews at a fixed rate. Prints what happened; asserts nothing.
 *
 *   node bench/hostile.ts [--seconds 20] [--senders 16] [--rate 200]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, writeFileSync, closeSync, existsSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createCertificateAuthority, issueCertificate } from '../src/certs/authority.ts';
import { defaultTransportLimits } from '../src/http/limits.ts';
import type { ChildMessage } from './child.ts';
import { chooseAllocator, describeAllocator, imageNodeFlags, parseAllocator } from './image-runtime.ts';
import { podReview } from './fixtures.ts';
import { post, summarize } from './load.ts';
import { anonRssKiB, peakRssKiB, sampleRss } from './proc.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, senders: { type: 'string', default: '16' }, rate: { type: 'string', default: '200' }, allocator: { type: 'string', default: 'glibc' } } });
const seconds = Number(values.seconds);
const senders = Number(values.senders);
const rate = Number(values.rate);
const memoryLimitBytes = 256 * 1024 * 1024;
// As the image runs it: its V8 flags and its allocator.
const allocator = chooseAllocator(parseAllocator(values.allocator));

/** Just under the body limit, as close to the value and depth limits as the guard allows. */
function hostileBodies(): Record<string, string> {
  const limit = defaultTransportLimits.maxBodyBytes - 64 * 1024;
  const { maxValues, maxDepth } = defaultTransportLimits.json;
  const shell = (spec: string): string => {
    const review = podReview('mutate', 'hostile');
    const text = JSON.stringify({ ...review, request: { ...review.request, object: { ...review.request.object, spec: '@@' } } });
    return text.replace('"@@"', spec);
  };
  const filler = (used: number): string => `"${'x'.repeat(Math.max(0, limit - used - 16))}"`;
  // Values are counted as opening brackets plus commas; the review around them uses a few thousand.
  const budget = maxValues - 5_000;
  const depth = maxDepth - 12;
  const emptyObjects = `{"a":[${new Array(Math.floor(budget / 2)).fill('{}').join(',')}],"b":@@}`;
  const emptyArrays = `{"a":[${new Array(Math.floor(budget / 2)).fill('[]').join(',')}],"b":@@}`;
  const nested = `{"a":[${new Array(Math.floor(budget / (depth + 1))).fill(`${'['.repeat(depth)}${']'.repeat(depth)}`).join(',')}],"b":@@}`;
  const shortStrings = `{"a":[${new Array(budget).fill('"s"').join(',')}],"b":@@}`;
  const bodies: Record<string, string> = {};
  for (const [name, spec] of Object.entries({ 'empty objects': emptyObjects, 'empty arrays': emptyArrays, 'nested arrays': nested, 'short strings': shortStrings })) {
    const without = shell(spec.replace('@@', '""'));
    bodies[name] = shell(spec.replace('@@', filler(without.length)));
  }
  return bodies;
}

/** A memory cgroup limited to the Deployment's limit, or undefined when this machine does not allow one. */
function memoryCgroup(): { dir: string; procs: string; peakBytes(): number | undefined; oomKills(): number | undefined; remove(): void } | undefined {
  const name = `netpol-hygiene-bench-${process.pid}`;
  const v2 = '/sys/fs/cgroup';
  const v1 = '/sys/fs/cgroup/memory';
  try {
    if (existsSync(join(v2, 'cgroup.controllers')) && readFileSync(join(v2, 'cgroup.subtree_control'), 'utf8').includes('memory')) {
      const dir = join(v2, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.max'), String(memoryLimitBytes));
      writeFileSync(join(dir, 'memory.swap.max'), '0');
      return {
        dir,
        procs: join(dir, 'cgroup.procs'),
        peakBytes: () => readNumber(join(dir, 'memory.peak')),
        oomKills: () => Number(/oom_kill (\d+)/.exec(readFileSync(join(dir, 'memory.events'), 'utf8'))?.[1]),
        remove: () => rmdirSync(dir),
      };
    }
    if (existsSync(join(v1, 'memory.limit_in_bytes'))) {
      const dir = join(v1, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(memoryLimitBytes));
      try {
        writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(memoryLimitBytes));
      } catch {
        // No swap accounting: the memory limit alone applies.
      }
      return {
        dir,
        procs: join(dir, 'cgroup.procs'),
        peakBytes: () => readNumber(join(dir, 'memory.max_usage_in_bytes')),
        oomKills: () => Number(/oom_kill (\d+)/.exec(readFileSync(join(dir, 'memory.oom_control'), 'utf8'))?.[1] ?? Number.NaN),
        remove: () => rmdirSync(dir),
      };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function readNumber(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'netpol-hygiene-hostile-'));
  const cgroup = memoryCgroup();
  try {
    const ca = await createCertificateAuthority('netpol-hygiene hostile bench CA', 1);
    const leaf = await issueCertificate(ca, { commonName: 'netpol-hygiene-bench', ipAddresses: ['127.0.0.1'], usage: 'server', days: 1 });
    writeFileSync(join(work, 'tls.crt'), leaf.certPem);
    writeFileSync(join(work, 'tls.key'), leaf.keyPem, { mode: 0o600 });
    const bodies = hostileBodies();
    const node = [process.execPath, ...imageNodeFlags, new URL('./webhook-server.ts', import.meta.url).pathname, '--tls-cert', join(work, 'tls.crt'), '--tls-key', join(work, 'tls.key')];
    // Join the cgroup before exec, so Node sizes its heap from the limit as it does in the pod.
    const command = cgroup === undefined ? node : ['sh', '-c', `echo $$ > ${cgroup.procs} && exec "$@"`, 'sh', ...node];
    const logFd = openSync(join(work, 'webhook-stdout.log'), 'w');
    const [file = '', ...args] = command;
    const child = spawn(file, args, { stdio: ['ignore', logFd, 'inherit', 'ipc'], env: { ...process.env, NODE_ENV: 'production', ...allocator.env } });
    closeSync(logFd);
    let exit: string | undefined;
    child.once('exit', (code, signal) => (exit = `exited (code ${code}, signal ${signal})`));
    const port = await new Promise<number>((resolve, reject) => {
      child.on('message', (message: ChildMessage) => message.type === 'listening' && resolve(message.port));
      child.once('exit', () => reject(new Error('the webhook exited before listening')));
    });
    const agent = new Agent({ keepAlive: true, ca: ca.certPem, maxSockets: senders });
    const target = { port, path: '/mutate', agent };
    const idleRss = peakRssKiB(child.pid as number);
    console.log(`webhook pid ${child.pid}, ${cgroup === undefined ? 'NO memory cgroup (not permitted here): RSS is compared with 256 MiB' : `memory cgroup limit 256 MiB (${cgroup.dir})`}, Node flags ${imageNodeFlags.join(' ')}, malloc ${describeAllocator(allocator)}${allocator.note === undefined ? '' : ` (${allocator.note})`}`);
    console.log(`hostile bodies: ${Object.entries(bodies).map(([name, body]) => `${name} ${(body.length / 1048576).toFixed(2)} MB`).join(', ')}`);

    const rss = sampleRss(child.pid as number, 25);
    // Read through proc.ts, which answers undefined once the webhook is gone (OOM-killed, say),
    // so that the run still reports the death and removes its directory.
    let peakAnonKiB = 0;
    const anonSampler = setInterval(() => {
      peakAnonKiB = Math.max(peakAnonKiB, anonRssKiB(child.pid as number) ?? 0);
    }, 25);
    const deadline = Date.now() + seconds * 1000;
    const hostileStatuses = new Map<string, number>();
    const names = Object.keys(bodies);
    const hostile = Array.from({ length: senders }, async (_, index) => {
      for (let i = index; Date.now() < deadline && exit === undefined; i++) {
        const name = names[i % names.length] as string;
        const key = await post(target, bodies[name] as string).then(
          (r) => `${r.status}${r.status === 200 ? (r.body.includes('"allowed":true') ? ' allowed' : ' refused') : ''}`,
          // Refused with 503 before its body was read: the server closed while we were still writing.
          (e: Error & { code?: string }) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? 'closed while sending (refused early)' : `error: ${e.message.slice(0, 60)}`),
        );
        hostileStatuses.set(key, (hostileStatuses.get(key) ?? 0) + 1);
      }
    });
    const ordinaryClient = new Worker(new URL('./hostile-ordinary-client.ts', import.meta.url), { workerData: { port, ca: ca.certPem, rate, seconds } });
    const ordinary = new Promise<{ latencies: number[]; statuses: Record<string, number> }>((resolve, reject) => {
      ordinaryClient.once('message', resolve);
      ordinaryClient.once('error', reject);
    });
    const [{ latencies: ordinaryLatencies, statuses }] = await Promise.all([ordinary, ...hostile]);
    const ordinaryStatuses = new Map(Object.entries(statuses));
    const peakSampled = rss.stop();
    clearInterval(anonSampler);
    const peakHwm = peakRssKiB(child.pid as number);
    const latency = summarize(ordinaryLatencies);
    const mib = (kib: number | undefined): string => (kib === undefined ? '–' : `${(kib / 1024).toFixed(0)} MiB`);
    console.log(`\nafter ${seconds} s with ${senders} hostile senders and ordinary reviews at ${rate}/s:`);
    console.log(`  webhook: ${exit ?? 'alive'}${cgroup?.oomKills() ? `, ${cgroup.oomKills()} OOM kill(s) in the cgroup` : ''}`);
    console.log(`  RSS: idle ${mib(idleRss)}, peak ${mib(Math.max(peakSampled ?? 0, peakHwm ?? 0))}, of which anonymous ${mib(peakAnonKiB)} (limit 256 MiB)${cgroup?.peakBytes() === undefined ? '' : `; cgroup peak ${((cgroup.peakBytes() as number) / 1048576).toFixed(0)} MiB`}`);
    console.log(`  hostile answers: ${[...hostileStatuses].map(([k, v]) => `${k} ×${v}`).join(', ')}`);
    console.log(`  ordinary answers: ${[...ordinaryStatuses].map(([k, v]) => `${k} ×${v}`).join(', ')}`);
    console.log(`  ordinary latency: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, max ${latency.max.toFixed(2)} ms`);
    const survived = exit === undefined && (ordinaryStatuses.get('200 allowed') ?? 0) === ordinaryLatencies.length;
    console.log(`  verdict: ${survived ? 'pass' : 'MISS'} (alive, every ordinary review answered)`);
    agent.destroy();
    child.kill('SIGKILL');
    await new Promise((resolve) => (exit === undefined ? child.once('exit', resolve) : resolve(undefined)));
  } finally {
    rmSync(work, { recursive: true, force: true });
    try {
      cgroup?.remove();
    } catch {
      // Busy for a moment after the last process left; the kernel frees it when empty.
    }
  }
}

await main();
