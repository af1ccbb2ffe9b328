// AuditSummarizer over recorded audit logs: what a reviewer reads in every output format.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { AuditSummarizer } from '../../src/report/audit-summary.ts';
import type { EventFilter } from '../../src/report/filter.ts';
import type { AuditSummary } from '../../src/report/model.ts';

const noFilter: EventFilter = { namespaces: [], rules: [], users: [] };
const zero = { allowed: 0, patched: 0, warned: 0, denied: 0, exempt: 0 };
const replicaA = 'pod/netpol-hygiene-5d9c7b8f6-abcde';
const replicaB = 'pod/netpol-hygiene-5d9c7b8f6-x2k4q';

function summarize(fixture: string, filter: Partial<EventFilter> = {}, limits = { top: 10, listed: 50 }): AuditSummary {
  const summarizer = new AuditSummarizer({ ...noFilter, ...filter }, limits);
  const text = readFileSync(new URL(`../fixtures/audit/${fixture}`, import.meta.url), 'utf8');
  for (const line of text.split('\n').slice(0, -1)) summarizer.addLine(line);
  return summarizer.summary({ namespaces: [], rules: [], users: [] });
}

const keysAndTotals = (breakdown: AuditSummary['byRule']): [string, number][] => breakdown.entries.map((e) => [e.key, e.total]);

t.test("one replica's stdout: audit records counted, everything else skipped and counted by why", async (t) => {
  const summary = summarize('webhook-stdout.log');
  t.strictSame(summary.input, { lines: 48, records: 38, matched: 38, skipped: { blank: 1, operational: 4, notJson: 4, malformed: 1 } });
  t.strictSame(summary.totals, { admissions: 34, decisions: { allowed: 14, patched: 12, warned: 2, denied: 2, exempt: 4 }, couldNotDecide: 0, dryRun: 2, repairs: 4 });
  t.equal(summary.first, '2026-11-30T08:00:04.100Z');
  t.equal(summary.last, '2026-11-30T09:45:00.004Z');
});

t.test('kubectl logs --prefix from two replicas: both counted, denials newest first across replicas', async (t) => {
  const summary = summarize('kubectl-logs-prefix.log');
  t.strictSame(summary.input, { lines: 77, records: 70, matched: 70, skipped: { blank: 0, operational: 7, notJson: 0, malformed: 0 } });
  t.strictSame(summary.totals, { admissions: 66, decisions: { allowed: 28, patched: 22, warned: 2, denied: 6, exempt: 8 }, couldNotDecide: 1, dryRun: 2, repairs: 4 });
  t.strictSame(keysAndTotals(summary.byRule), [
    ['(none)', 37],
    ['POD-TIER', 25],
    ['NS-DEFAULT-DENY', 2],
    ['NP-GUARD', 1],
    ['NS-LABELS', 1],
  ]);
  t.strictSame(summary.byRule.entries[1], { key: 'POD-TIER', total: 25, decisions: { ...zero, patched: 21, warned: 1, denied: 3 }, repairs: 0, error: 0 });
  t.strictSame(keysAndTotals(summary.byNamespace), [
    ['products-prod', 27],
    ['products-stage', 21],
    ['payments', 10],
    ['kube-system', 8],
    ['scratch', 2],
    ['*', 1],
    ['legacy-batch', 1],
  ]);
  t.strictSame(summary.byNamespace.entries[0], { key: 'products-prod', total: 27, decisions: { ...zero, allowed: 13, patched: 9, denied: 4 }, repairs: 1, error: 0 });
  t.strictSame(keysAndTotals(summary.byUser), [
    ['system:serviceaccount:kube-system:replicaset-controller', 51],
    ['bob@example.com', 5],
    ['jane@example.com', 5],
    ['kubernetes-admin', 3],
    ['system:serviceaccount:ci:deployer', 2],
  ]);
  t.strictSame(
    summary.denials.shown.map((d) => [d.time, d.source, d.kind, d.name, d.rules.join(','), d.code, d.dryRun]),
    [
      ['2026-11-30T10:03:51.000Z', replicaB, 'Pod', 'ledger-5c8d9b7f4-r7t2m', '', 500, false],
      ['2026-11-30T09:36:40.004Z', replicaB, 'Namespace', 'scratch', 'NS-DEFAULT-DENY', 403, false],
      ['2026-11-30T09:08:20.000Z', replicaA, 'NetworkPolicy', 'allow-dns', 'NP-GUARD', 403, false],
      ['2026-11-30T08:55:33.004Z', replicaB, 'Pod', 'cache-0', 'POD-TIER', 403, false],
      ['2026-11-30T08:45:50.004Z', replicaA, 'Pod', 'debug-shell', 'POD-TIER', 403, true],
      ['2026-11-30T08:45:10.004Z', replicaB, 'Pod', 'debug-shell', 'POD-TIER', 403, false],
    ],
  );
  t.equal(
    summary.denials.shown[2]?.message,
    'NP-GUARD: NetworkPolicy "allow-dns" in namespace "products-prod" is part of the netpol-hygiene baseline (profile "seed"); user "bob@example.com" may not delete it; change the profile in the netpol-hygiene config, or ask a member of system:masters',
  );
  t.strictSame(summary.repairs.shown[0], {
    time: '2026-11-30T09:15:00.060Z',
    source: replicaA,
    namespace: 'products-prod',
    action: 'apply-baseline',
    policies: ['allow-dns'],
    trigger: 'managed policy "allow-dns" was deleted',
    message: 'applied baseline policies allow-dns to namespace "products-prod" (managed policy "allow-dns" was deleted)',
  });
});

t.test('kubectl logs --prefix --timestamps reads the same records', async (t) => {
  const summary = summarize('kubectl-logs-timestamps.log');
  t.strictSame(summary.input, { lines: 8, records: 7, matched: 7, skipped: { blank: 0, operational: 1, notJson: 0, malformed: 0 } });
});

t.test('the timeline covers the matched records in 5-minute buckets and sums to the totals', async (t) => {
  const { timeline, totals } = summarize('kubectl-logs-prefix.log');
  t.equal(timeline.bucketSeconds, 300);
  t.equal(timeline.buckets.length, 25);
  t.strictSame(timeline.buckets[3], { start: '2026-11-30T08:15:00.000Z', decisions: { ...zero, allowed: 6, patched: 6 }, repairs: 0 });
  const summed = timeline.buckets.reduce((sum, b) => sum + b.repairs + Object.values(b.decisions).reduce((a, n) => a + n, 0), 0);
  t.equal(summed, totals.admissions + totals.repairs);
});

t.test('filters', async (t) => {
  const cases: { name: string; filter: Partial<EventFilter>; matched: number; decisions: typeof zero; repairs: number }[] = [
    { name: 'namespace (Namespace requests count for the namespace they name)', filter: { namespaces: ['scratch'] }, matched: 2, decisions: { ...zero, allowed: 1, denied: 1 }, repairs: 0 },
    { name: 'namespace, repeated: either', filter: { namespaces: ['products-prod', 'payments'] }, matched: 37, decisions: { ...zero, allowed: 17, patched: 13, denied: 5 }, repairs: 2 },
    { name: 'rule: records naming it; repairs left out', filter: { rules: ['NP-GUARD'] }, matched: 1, decisions: { ...zero, denied: 1 }, repairs: 0 },
    { name: 'user: exact name; repairs left out', filter: { users: ['bob@example.com'] }, matched: 5, decisions: { ...zero, allowed: 2, warned: 1, denied: 2 }, repairs: 0 },
    {
      name: 'since (inclusive) and until (exclusive)',
      filter: { sinceMs: Date.parse('2026-11-30T08:45:10.004Z'), untilMs: Date.parse('2026-11-30T09:08:20Z') },
      matched: 19,
      decisions: { ...zero, allowed: 9, patched: 6, warned: 1, denied: 3 },
      repairs: 0,
    },
    { name: 'all at once', filter: { namespaces: ['products-prod'], rules: ['POD-TIER'], users: ['jane@example.com'], sinceMs: Date.parse('2026-11-30T08:45:20Z') }, matched: 1, decisions: { ...zero, denied: 1 }, repairs: 0 },
  ];
  for (const c of cases) {
    const summary = summarize('kubectl-logs-prefix.log', c.filter);
    t.equal(summary.input.records, 70, `${c.name}: every record is read`);
    t.equal(summary.input.matched, c.matched, `${c.name}: matched`);
    t.strictSame(summary.totals.decisions, c.decisions, `${c.name}: decisions`);
    t.equal(summary.totals.repairs, c.repairs, `${c.name}: repairs`);
  }
});

t.test('limits: top N per breakdown, the latest N denials with a count of the rest', async (t) => {
  const summary = summarize('kubectl-logs-prefix.log', {}, { top: 2, listed: 2 });
  t.strictSame(keysAndTotals(summary.byNamespace), [
    ['products-prod', 27],
    ['products-stage', 21],
  ]);
  t.strictSame(
    summary.denials.shown.map((d) => d.name),
    ['ledger-5c8d9b7f4-r7t2m', 'scratch'],
  );
  t.equal(summary.denials.total, 6);
  t.equal(summary.denials.notShown, 4);
});

t.test('nothing matched: zero totals, no period, empty timeline', async (t) => {
  const summary = summarize('kubectl-logs-prefix.log', { namespaces: ['nowhere'] });
  t.equal(summary.input.matched, 0);
  t.equal(summary.first, null);
  t.equal(summary.last, null);
  t.strictSame(summary.timeline, { bucketSeconds: 60, buckets: [] });
  t.strictSame(summary.denials, { total: 0, shown: [], notShown: 0 });
});
