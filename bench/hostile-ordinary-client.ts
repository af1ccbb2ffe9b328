/**
 * The ordinary client of bench/hostile.ts, in its own thread so that sending the hostile
 * bodies (TLS over megabytes) never delays it: 10 KB Pod reviews at a fixed rate, each on a
 * keep-alive connection of its own pool, with every answer and latency reported back.
 */
import { Agent } from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';
import { reviewBody } from './fixtures.ts';
import { post } from './load.ts';

const { port, ca, rate, seconds } = workerData as { port: number; ca: string; rate: number; seconds: number };
const agent = new Agent({ keepAlive: true, ca, maxSockets: 32 });
const latencies: number[] = [];
const statuses: Record<string, number> = {};
const pending: Promise<void>[] = [];
const started = performance.now();
for (let n = 0; performance.now() - started < seconds * 1000; n++) {
  const sent = performance.now();
  pending.push(
    post({ port, path: '/mutate', agent }, reviewBody('mutate', `ordinary-${n}`)).then(
      (r) => {
        latencies.push(performance.now() - sent);
        const key = r.status === 200 && r.body.includes('"allowed":true') ? '200 allowed' : String(r.status);
        statuses[key] = (statuses[key] ?? 0) + 1;
      },
      () => void (statuses.error = (statuses.error ?? 0) + 1),
    ),
  );
  // Paced by schedule, not by answers: a slow server does not slow the offered load.
  const next = started + ((n + 1) * 1000) / rate;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
}
await Promise.all(pending);
agent.destroy();
parentPort?.postMessage({ latencies, statuses });
