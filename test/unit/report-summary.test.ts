// AuditSummarizer over recorded audit logs: what a reviewer reads in every output format.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { auditLine, isBaselineRepair, type RepairAuditRecord } from '../../src/audit/audit-log.ts';
import { AuditSummarizer } from '../../src/report/audit-summary.ts';
import type { EventFilter } from '../../src/report/filter.ts';
import type { AuditSummary } from '../../src/report/model.ts';

const noFilter: EventFilter = { namespaces: [], rules: [], users: [] };
const zero = { allowed: 0, patched: 0, warned: 0, denied: 0, exempt: 0 };
const replicaA = 'pod/netpol-hygiene-5d9c7b8f6-abcde';
const replicaB = 'pod/netpol-hygiene-5d9c7b8f6-x2k4q';

function summarize(fixture: string, filter: Partial<EventFilter> = {}, limits = { top: 10, listed: 50 }): AuditSummary {
  const text = readFileSync(new URL(`../fixtures/audit/${fixture}`, import.meta.url), 'utf8');
  return summarizeLines(text.split('\n').slice(0, -1), filter, limits);
}

function summarizeLines(lines: readonly string[], filter: Partial<EventFilter> = {}, limits = { top: 10, listed: 50 }): AuditSummary {
  const summarizer = new AuditSummarizer({ ...noFilter, ...filter }, limits);
  for (const line of lines) summarizer.addLine(line);
  return summarizer.summary({ namespaces: [], rules: [], users: [] });
}

const keysAndTotals = (breakdown: AuditSummary['byRule']): [string, number][] => breakdown.entries.map((e) => [e.key, e.total]);

t.test("one replica's stdout: audit records counted, everything else skipped and counted by why", async (t) => {
  const summary = summarize('webhook-stdout.log');
  t.strictSame(summary.input, { lines: 48, records: 38, matched: 38, skipped: { blank: 1, operational: 4, notJson: 4, malformed: 1 } });
  // Four `repair` records: lines 3, 6 and 36 apply a baseline (legacy-batch at start-up, payments
  // created, products-prod's allow-dns deleted); line 4 is the start-up backfill's summary, no repair.
  t.strictSame(summary.totals, { admissions: 34, decisions: { allowed: 14, patched: 12, warned: 2, denied: 2, exempt: 4 }, couldNotDecide: 0, dryRun: 2, repairs: 3, aboveCeilingReports: 0 });
  t.strictSame(
    summary.repairs.shown.map((r) => r.namespace),
    ['products-prod', 'payments', 'legacy-batch'],
  );
  t.equal(summary.first, '2026-11-30T08:00:04.100Z');
  t.equal(summary.last, '2026-11-30T09:45:00.004Z');
});

t.test('kubectl logs --prefix from two replicas: both counted, denials newest first across replicas', async (t) => {
  const summary = summarize('kubectl-logs-prefix.log');
  t.strictSame(summary.input, { lines: 78, records: 71, matched: 71, skipped: { blank: 0, operational: 7, notJson: 0, malformed: 0 } });
  // Five `repair` records, all from replica A: lines 39, 42 and 68 apply a baseline; line 38
  // reports legacy-batch's open-db above the ceiling; line 40 is the start-up backfill's summary.
  t.strictSame(summary.totals, { admissions: 66, decisions: { allowed: 28, patched: 22, warned: 2, denied: 6, exempt: 8 }, couldNotDecide: 1, dryRun: 2, repairs: 3, aboveCeilingReports: 1 });
  t.strictSame(keysAndTotals(summary.byRule), [
    ['(none)', 37],
    ['POD-TIER', 25],
    ['NS-DEFAULT-DENY', 2],
    ['NP-GUARD', 1],
    ['NS-LABELS', 1],
  ]);
  t.strictSame(summary.byRule.entries[1], { key: 'POD-TIER', total: 25, decisions: { ...zero, patched: 21, warned: 1, denied: 3 }, repairs: 0, error: 0 });
  // legacy-batch: its repair (line 39); its above-ceiling report is not in the breakdowns, and the
  // backfill summary's `*` is no namespace with a repair.
  t.strictSame(keysAndTotals(summary.byNamespace), [
    ['products-prod', 27],
    ['products-stage', 21],
    ['payments', 10],
    ['kube-system', 8],
    ['scratch', 2],
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
  t.strictSame(summary.aboveCeilingReports, {
    total: 1,
    shown: [
      {
        time: '2026-11-30T08:00:04.000Z',
        source: replicaA,
        namespace: 'legacy-batch',
        action: 'above-ceiling',
        policies: ['open-db'],
        trigger: 'start-up backfill',
        message:
          'existing policy reported, not changed: NP-CEILING: NetworkPolicy "open-db" in namespace "legacy-batch" would allow ingress to tier=db pods from any pod in any namespace on port 5432; ' +
          'profile "seed" allows ingress to tier=db only from tier=business in legacy-batch; narrow spec.ingress[0].from, or ask a member of system:masters',
      },
    ],
    notShown: 0,
  });
});

t.test('an above-ceiling report and the start-up backfill summary are no repairs: counted as isBaselineRepair (and the repairs metric) counts', async (t) => {
  const at = Date.parse('2026-11-30T08:00:04Z');
  const records: RepairAuditRecord[] = [
    { event: 'repair', namespace: 'legacy-batch', action: 'above-ceiling', policies: ['open-db'], trigger: 'start-up backfill', message: 'existing policy reported, not changed: NP-CEILING: ...' },
    { event: 'repair', namespace: 'payments', action: 'apply-baseline', policies: ['allow-dns'], trigger: 'start-up backfill', message: 'applied baseline policies allow-dns to namespace "payments" (start-up backfill)' },
    { event: 'repair', namespace: '*', action: 'backfill', policies: [], trigger: 'start-up', message: 'start-up backfill: applied the baseline to 1 existing namespace(s): payments' },
  ];
  t.strictSame(
    records.map((r) => isBaselineRepair(r)),
    [false, true, false],
    'the audit log says which is a repair',
  );
  const summary = summarizeLines(records.map((record, i) => auditLine(record, at + i).trimEnd()));

  t.equal(summary.input.matched, 3, 'all three are read');
  t.equal(summary.totals.repairs, 1, 'one repair: the apply-baseline record');
  t.strictSame(summary.repairs.shown.map((r) => [r.namespace, r.action]), [['payments', 'apply-baseline']]);
  t.equal(summary.totals.aboveCeilingReports, 1, 'the above-ceiling report counted on its own');
  t.strictSame(summary.aboveCeilingReports.shown.map((r) => [r.namespace, r.action, r.policies]), [['legacy-batch', 'above-ceiling', ['open-db']]]);
  t.strictSame(
    summary.byNamespace.entries.map((e) => [e.key, e.total, e.repairs]),
    [['payments', 1, 1]],
    'no repair counted under legacy-batch or `*`',
  );
  t.strictSame(
    summary.timeline.buckets.map((b) => b.repairs),
    [1],
    'one repair on the timeline',
  );
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
  // Admissions and repairs only: above-ceiling reports and the backfill summary are not drawn.
  const summed = timeline.buckets.reduce((sum, b) => sum + b.repairs + Object.values(b.decisions).reduce((a, n) => a + n, 0), 0);
  t.equal(summed, totals.admissions + totals.repairs);
});

t.test('filters', async (t) => {
  const cases: { name: string; filter: Partial<EventFilter>; matched: number; decisions: typeof zero; repairs: number; aboveCeilingReports?: number }[] = [
    // Lines 38 (open-db reported above the ceiling) and 39 (the backfill's repair).
    { name: 'namespace: its above-ceiling report apart from its repair', filter: { namespaces: ['legacy-batch'] }, matched: 2, decisions: zero, repairs: 1, aboveCeilingReports: 1 },
    { name: 'namespace (Namespace requests count for the namespace they name)', filter: { namespaces: ['scratch'] }, matched: 2, decisions: { ...zero, allowed: 1, denied: 1 }, repairs: 0 },
    // repairs: payments created (line 42) and products-prod's allow-dns restored (line 68).
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
    t.equal(summary.input.records, 71, `${c.name}: every record is read`);
    t.equal(summary.input.matched, c.matched, `${c.name}: matched`);
    t.strictSame(summary.totals.decisions, c.decisions, `${c.name}: decisions`);
    t.equal(summary.totals.repairs, c.repairs, `${c.name}: repairs`);
    t.equal(summary.totals.aboveCeilingReports, c.aboveCeilingReports ?? 0, `${c.name}: above-ceiling reports`);
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
