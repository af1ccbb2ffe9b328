/**
 * A process whose audit sink the tests stall, signal and crash (audit-log.test.ts). It writes
 * `--records` audit records through the real sink (stdout, and `--file` when given), with an
 * operational log line after every `--operational-every`-th one, then
 * reports its sink's stats over IPC and waits for the test:
 * - `{ type: 'decide', count }`: makes `count` real admission decisions and reports whether a
 *   timer fired while they ran, with the sink's stats at that moment;
 * - `{ type: 'throw' }`: throws, uncaught;
 * - SIGTERM: exits as `serve`'s signal handler does (process.exit), with no flush of its own.
 */
import { parseArgs } from 'node:util';
import { handleAdmission } from '../../src/admission/handler.ts';
import type { AdmissionRequest } from '../../src/kube/admission-review.ts';
import { pino } from 'pino';
import { type AuditSinkStats, createAuditSink } from '../../src/audit/audit-log.ts';
import { operationalStdout } from '../../src/audit/stdout.ts';
import { loadReview } from '../fixtures/load.ts';
import { context, fakeCluster, managedDefaultDeny } from './helpers.ts';

export type ChildReport =
  | { readonly type: 'written'; readonly stats: readonly AuditSinkStats[] }
  | { readonly type: 'decided'; readonly allowed: readonly boolean[]; readonly atTimer: AuditSinkStats | undefined };

export type ChildCommand = { readonly type: 'decide'; readonly count: number } | { readonly type: 'throw' };

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '0' },
    file: { type: 'string' },
    'max-buffered-bytes': { type: 'string' },
    'stall-timeout-ms': { type: 'string' },
    'operational-every': { type: 'string' },
  },
});

const audit = createAuditSink(values.file, {
  maxBufferedBytes: optionalNumber(values['max-buffered-bytes']),
  stallTimeoutMs: optionalNumber(values['stall-timeout-ms']),
});
const send = (report: ChildReport): void => void process.send?.(report);
// About 1 KB a record, as an admission record with a patch is.
const padding = 'x'.repeat(900);

// As `serve` logs: the operational log on stdout beside the audit records.
const log = pino({ base: { component: 'netpol-hygiene' } }, operationalStdout());
const operationalEvery = optionalNumber(values['operational-every']);
for (let i = 0; i < Number(values.records); i++) {
  audit.write({ event: 'repair', namespace: `record-${i}`, action: 'created', policies: [], trigger: 'test', message: padding });
  if (operationalEvery !== undefined && i % operationalEvery === 0) log.info({ after: `record-${i}` }, 'operational line');
}

process.on('SIGTERM', () => process.exit(0));
process.on('message', (command: ChildCommand) => {
  if (command.type === 'throw') throw new Error('boom in the audit child');
  void decide(command.count);
});
// Gives the sink a turn to write what the pipe takes before reporting how much is left.
setTimeout(() => send({ type: 'written', stats: audit.stats() }), 50);
setInterval(() => {}, 60_000);

async function decide(count: number): Promise<void> {
  let atTimer: AuditSinkStats | undefined;
  setTimeout(() => (atTimer = audit.stats()[0]), 1);
  const deps = { context: context(fakeCluster({ namespaces: { 'products-prod': { labels: {} } }, policies: { 'products-prod': [managedDefaultDeny] } })), audit };
  const allowed: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const response = await handleAdmission('mutate', podRequest(i), deps);
    allowed.push(response.allowed);
    // A real server answers each request in its own event-loop turn.
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (atTimer === undefined) await new Promise((resolve) => setTimeout(resolve, 1));
  send({ type: 'decided', allowed, atTimer });
}

function podRequest(i: number): AdmissionRequest {
  const request = loadReview('pod-from-deployment').request;
  return { ...request, uid: `decision-${i}` };
}

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}
