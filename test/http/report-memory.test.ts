// report streams: a log far larger than the heap it is allowed is summarised all the same.
import { spawn } from 'node:child_process';
import t from 'tap';
import type { Report } from '../../src/report/model.ts';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const records = 200_000;
const heapMiB = 24;

/** One audit line per record; every namespace and user distinct, every fifth a denial with its message. */
function* auditLines(): Generator<string> {
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  for (let i = 0; i < records; i += 1) {
    const denied = i % 5 === 0;
    yield `${JSON.stringify({
      level: 30,
      time: t0 + i * 1000,
      audit: true,
      event: 'admission',
      webhook: 'validate',
      uid: `uid-${i}`,
      operation: 'CREATE',
      kind: 'Pod',
      namespace: `tenant-${i}`,
      name: `app-${i}`,
      user: `system:serviceaccount:tenant-${i}:deployer`,
      groups: ['system:authenticated'],
      dryRun: false,
      mode: 'enforce',
      decision: denied ? 'denied' : 'patched',
      code: denied ? 403 : 200,
      rules: ['POD-TIER'],
      message: denied ? `POD-TIER: pod "app-${i}" in namespace "tenant-${i}" has no "tier" label and no rule matched; set label tier=<ui|business|db>` : undefined,
      latencyMs: 0.4,
    })}\n`;
  }
}

t.test(`${records} records with as many distinct namespaces and users, under a ${heapMiB} MiB heap`, async (t) => {
  const child = spawn(process.execPath, [`--max-old-space-size=${heapMiB}`, main, 'report', '-o', 'json', '--list', '10'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // A child that ran out of heap closes its stdin: the exit code and stderr then tell why.
  child.stdin.on('error', () => {});
  let bytes = 0;
  for (const line of auditLines()) {
    if (child.exitCode !== null || child.stdin.destroyed) break;
    bytes += line.length;
    if (!child.stdin.write(line)) await Promise.race([new Promise((resolve) => child.stdin.once('drain', resolve)), exited]);
  }
  child.stdin.end();
  t.equal(await exited, 0, stderr);
  t.ok(bytes > 3 * heapMiB * 1_048_576, `the log (${Math.round(bytes / 1_048_576)} MiB) is several times the heap`);
  const audit = (JSON.parse(stdout) as Report).audit!;
  t.equal(audit.input.records, records);
  t.strictSame(audit.totals.decisions, { allowed: 0, patched: records * 0.8, warned: 0, denied: records * 0.2, exempt: 0 });
  t.equal(audit.byNamespace.approximate, true, 'more namespaces than tracked: said so');
  t.equal(audit.byNamespace.entries.length, 10);
  t.strictSame(audit.denials.shown.map((d) => d.name).slice(0, 2), [`app-${records - 5}`, `app-${records - 10}`], 'the latest denials');
  t.equal(audit.denials.notShown, records * 0.2 - 10);
  t.ok(audit.timeline.buckets.length <= 60);
});
