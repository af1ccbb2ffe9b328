// renderText: the parts the recorded logs do not reach (approximate breakdowns, long timelines).
import t from 'tap';
import type { AuditSummary, Report } from '../../src/report/model.ts';
import { renderText } from '../../src/report/render-text.ts';

const zero = { allowed: 0, patched: 0, warned: 0, denied: 0, exempt: 0 };
const empty = { approximate: false, entries: [] };

function report(audit: Partial<AuditSummary>): Report {
  return {
    kind: 'NetpolHygieneReport',
    version: 1,
    generatedAt: '2026-11-30T12:00:00.000Z',
    audit: {
      filters: { namespaces: [], rules: [], users: [] },
      input: { lines: 0, records: 0, matched: 0, skipped: { blank: 0, operational: 0, notJson: 0, malformed: 0 } },
      first: null,
      last: null,
      totals: { admissions: 0, decisions: zero, couldNotDecide: 0, dryRun: 0, repairs: 0, aboveCeilingReports: 0 },
      byRule: empty,
      byNamespace: empty,
      byUser: empty,
      timeline: { bucketSeconds: 60, buckets: [] },
      denials: { total: 0, shown: [], notShown: 0 },
      repairs: { total: 0, shown: [], notShown: 0 },
      aboveCeilingReports: { total: 0, shown: [], notShown: 0 },
      ...audit,
    },
  };
}

t.test('an approximate breakdown says so and shows how much each count may overstate', async (t) => {
  const text = renderText(
    report({
      byNamespace: {
        approximate: true,
        entries: [
          { key: 'products-prod', total: 9000, decisions: { ...zero, patched: 9000 }, repairs: 0, error: 0 },
          { key: 'tenant-17', total: 12, decisions: { ...zero, allowed: 3 }, repairs: 0, error: 9 },
        ],
      },
    }),
  );
  t.match(
    text,
    `By namespace (top 2) (approximate: more distinct values than tracked; ERROR is how much TOTAL may overstate)
NAMESPACE      TOTAL  ALLOWED  PATCHED  WARNED  DENIED  EXEMPT  REPAIRS  ERROR
products-prod   9000        0     9000       0       0       0        0      0
tenant-17         12        3        0       0       0       0        0      9
`,
  );
});

t.test('nothing matched: every section says none', async (t) => {
  t.equal(
    renderText(report({})),
    `netpol-hygiene report, generated 2026-11-30T12:00:00.000Z

Audit log: 0 lines, 0 audit records, 0 matched the filters
Skipped: 0 operational, 0 not JSON, 0 malformed, 0 blank
Filters: none
Period: no records
Totals: 0 admission decisions (0 could not decide, 0 dry run), 0 repairs, 0 reported above the ceiling

By decision
DECISION  RECORDS  SHARE
allowed         0      -
patched         0      -
warned          0      -
denied          0      -
exempt          0      -

By rule
  none

By namespace
  none

By user
  none

Timeline (1-minute buckets, UTC)
  none

Denials: 0

Repairs: 0

Policies reported above the ceiling (not changed): 0
`,
  );
});

t.test('bucket widths in words', async (t) => {
  for (const [seconds, words] of [
    [300, '5-minute'],
    [10_800, '3-hour'],
    [604_800, '7-day'],
  ] as const) {
    t.match(renderText(report({ timeline: { bucketSeconds: seconds, buckets: [] } })), `Timeline (${words} buckets, UTC)`, words);
  }
});
