// `netpol-hygiene report` as a user runs it: files or stdin, each output, each filter, bad input.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import type { Report } from '../../src/report/model.ts';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const fixtures = new URL('../fixtures/audit/', import.meta.url).pathname;
const prefixed = `${fixtures}kubectl-logs-prefix.log`;
const stdoutLog = `${fixtures}webhook-stdout.log`;
const timestamps = `${fixtures}kubectl-logs-timestamps.log`;

function run(args: string[], input?: string) {
  return spawnSync(process.execPath, [main, 'report', ...args], { encoding: 'utf8', input: input ?? '' });
}

function json(args: string[], input?: string): NonNullable<Report['audit']> {
  const result = run([...args, '-o', 'json'], input);
  if (result.status !== 0) throw new Error(result.stderr);
  return (JSON.parse(result.stdout) as Report).audit!;
}

const generated = /^netpol-hygiene report, generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n/;

t.test('text (default): aligned tables', async (t) => {
  const result = run([timestamps]);
  t.equal(result.status, 0);
  t.equal(result.stderr, '', 'nothing on stderr: no progress when stderr is not a terminal');
  t.match(result.stdout, generated);
  t.equal(
    result.stdout.replace(generated, ''),
    `
Audit log: 8 lines, 7 audit records, 7 matched the filters
Skipped: 1 operational, 0 not JSON, 0 malformed, 0 blank
Filters: none
Period: 2026-11-30T08:05:00.000Z to 2026-11-30T08:17:28.000Z
Totals: 7 admission decisions (0 could not decide, 0 dry run), 0 repairs, 0 reported above the ceiling

By decision
DECISION  RECORDS  SHARE
allowed         2  28.6%
patched         3  42.9%
warned          0   0.0%
denied          0   0.0%
exempt          2  28.6%

By rule (top 3)
RULE             TOTAL  ALLOWED  PATCHED  WARNED  DENIED  EXEMPT  REPAIRS
(none)               4        2        0       0       0       2        0
POD-TIER             2        0        2       0       0       0        0
NS-DEFAULT-DENY      1        0        1       0       0       0        0

By namespace (top 3)
NAMESPACE       TOTAL  ALLOWED  PATCHED  WARNED  DENIED  EXEMPT  REPAIRS
products-stage      3        1        2       0       0       0        0
kube-system         2        0        0       0       0       2        0
payments            2        1        1       0       0       0        0

By user (top 2)
USER                                                     TOTAL  ALLOWED  PATCHED  WARNED  DENIED  EXEMPT  REPAIRS
system:serviceaccount:kube-system:replicaset-controller      5        1        2       0       0       2        0
kubernetes-admin                                             2        1        1       0       0       0        0

Timeline (1-minute buckets, UTC)
START                     ALLOWED  PATCHED  WARNED  DENIED  EXEMPT  REPAIRS
2026-11-30T08:05:00.000Z        1        1       0       0       0        0
2026-11-30T08:06:00.000Z        0        0       0       0       0        0
2026-11-30T08:07:00.000Z        0        0       0       0       0        0
2026-11-30T08:08:00.000Z        0        0       0       0       0        0
2026-11-30T08:09:00.000Z        0        0       0       0       0        0
2026-11-30T08:10:00.000Z        0        0       0       0       2        0
2026-11-30T08:11:00.000Z        0        0       0       0       0        0
2026-11-30T08:12:00.000Z        0        0       0       0       0        0
2026-11-30T08:13:00.000Z        0        0       0       0       0        0
2026-11-30T08:14:00.000Z        0        0       0       0       0        0
2026-11-30T08:15:00.000Z        0        0       0       0       0        0
2026-11-30T08:16:00.000Z        1        1       0       0       0        0
2026-11-30T08:17:00.000Z        0        1       0       0       0        0

Denials: 0

Repairs: 0

Policies reported above the ceiling (not changed): 0
`,
  );
});

t.test('text: denials, repairs and above-ceiling reports with their messages, newest first, and what was left out', async (t) => {
  const result = run([prefixed, '--list', '1']);
  t.equal(result.status, 0);
  // Repairs: the apply-baseline records, lines 39, 42 and 68; line 38 is the above-ceiling
  // report, line 40 the start-up backfill's summary (neither is a repair).
  t.match(
    result.stdout,
    `Denials: 6 (newest first; 5 older not shown)
  2026-11-30T10:03:51.000Z  CREATE  Pod payments/ledger-5c8d9b7f4-r7t2m  by system:serviceaccount:kube-system:replicaset-controller  no rule  enforce 500  pod/netpol-hygiene-5d9c7b8f6-x2k4q
    netpol-hygiene: cluster state is unavailable (the API server has not answered for 31 s); the decision needs it, so the request is refused until the API server can be read again

Repairs: 3 (newest first; 2 older not shown)
  2026-11-30T09:15:00.060Z  apply-baseline  namespace products-prod  pod/netpol-hygiene-5d9c7b8f6-abcde
    applied baseline policies allow-dns to namespace "products-prod" (managed policy "allow-dns" was deleted)

Policies reported above the ceiling (not changed): 1 (newest first)
  2026-11-30T08:00:04.000Z  NetworkPolicy legacy-batch/open-db  start-up backfill  pod/netpol-hygiene-5d9c7b8f6-abcde
    existing policy reported, not changed: NP-CEILING: NetworkPolicy "open-db" in namespace "legacy-batch" would allow ingress to tier=db pods from any pod in any namespace on port 5432; profile "seed" allows ingress to tier=db only from tier=business in legacy-batch; narrow spec.ingress[0].from, or ask a member of system:masters
`,
  );
});

t.test('json: the documented shape', async (t) => {
  // Millisecond precision: a report dated within the same millisecond as either bound is still in between.
  const before = Date.now();
  const result = run([prefixed, '-o', 'json']);
  const after = Date.now();
  t.equal(result.status, 0);
  const report = JSON.parse(result.stdout) as Report;
  t.equal(report.kind, 'NetpolHygieneReport');
  t.equal(report.version, 1);
  const generatedAt = Date.parse(report.generatedAt);
  t.ok(before <= generatedAt && generatedAt <= after, 'generatedAt is when the command ran');
  t.strictSame(Object.keys(report.audit!), ['filters', 'input', 'first', 'last', 'totals', 'byRule', 'byNamespace', 'byUser', 'timeline', 'denials', 'repairs', 'aboveCeilingReports']);
  // repairs: lines 39, 42, 68 (apply-baseline); aboveCeilingReports: line 38; line 40, the backfill's summary, is neither.
  t.strictSame(report.audit!.totals, { admissions: 66, decisions: { allowed: 28, patched: 22, warned: 2, denied: 6, exempt: 8 }, couldNotDecide: 1, dryRun: 2, repairs: 3, aboveCeilingReports: 1 });
  t.strictSame(report.audit!.denials.shown[0], {
    time: '2026-11-30T10:03:51.000Z',
    source: 'pod/netpol-hygiene-5d9c7b8f6-x2k4q',
    namespace: 'payments',
    kind: 'Pod',
    name: 'ledger-5c8d9b7f4-r7t2m',
    operation: 'CREATE',
    user: 'system:serviceaccount:kube-system:replicaset-controller',
    mode: 'enforce',
    code: 500,
    rules: [],
    dryRun: false,
    message: 'netpol-hygiene: cluster state is unavailable (the API server has not answered for 31 s); the decision needs it, so the request is refused until the API server can be read again',
  });
});

t.test('html: one self-contained file', async (t) => {
  const result = run([prefixed, '-o', 'html']);
  t.equal(result.status, 0);
  t.match(result.stdout, /^<!doctype html>\n<html lang="en">/);
  t.match(result.stdout, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  t.notMatch(result.stdout, /<script|<link|<img|src=|href=|url\(|@import/i, 'no script and no external asset');
  t.equal(result.stdout.match(/<svg /g)?.length, 4, 'four inline SVG charts');
});

t.test('inputs: stdin, "-", several files, and kubectl output from several replicas', async (t) => {
  const text = (await import('node:fs')).readFileSync(stdoutLog, 'utf8');
  t.equal(json([], text).input.records, 38, 'stdin when no FILE');
  t.equal(json(['-'], text).input.records, 38, '"-" is stdin');
  const both = json([stdoutLog, '-', timestamps], text);
  t.strictSame(both.input, { lines: 48 + 48 + 8, records: 38 + 38 + 7, matched: 83, skipped: { blank: 2, operational: 9, notJson: 8, malformed: 2 } }, 'files and stdin in one report');
  t.equal(json([prefixed]).input.records, 71, 'both replicas of the --prefix output');
});

t.test('each filter, and the filters stated in the report', async (t) => {
  const cases = [
    { args: ['--namespace', 'products-prod'], matched: 27, filters: 'namespace products-prod' },
    { args: ['-n', 'products-prod', '-n', 'payments'], matched: 37, filters: 'namespace products-prod, payments' },
    { args: ['--rule', 'POD-TIER'], matched: 25, filters: 'rule POD-TIER' },
    { args: ['--user', 'bob@example.com'], matched: 5, filters: 'user bob@example.com' },
    { args: ['--since', '2026-11-30T09:00:00Z'], matched: 29, filters: 'since 2026-11-30T09:00:00.000Z' },
    { args: ['--until', '2026-11-30T09:00:00+01:00'], matched: 0, filters: 'until 2026-11-30T08:00:00.000Z' },
    { args: ['--since', '2026-11-30T08:45:10.004Z', '--until', '2026-11-30T09:08:20Z'], matched: 19, filters: 'since 2026-11-30T08:45:10.004Z; until 2026-11-30T09:08:20.000Z' },
  ];
  for (const c of cases) {
    const result = run([prefixed, ...c.args]);
    t.equal(result.status, 0, result.stderr);
    t.match(result.stdout, `, ${c.matched} matched the filters\n`, `${c.args.join(' ')}: matched`);
    t.match(result.stdout, `\nFilters: ${c.filters}\n`, `${c.args.join(' ')}: stated`);
  }
});

t.test('--since / --until as durations count back from now', async (t) => {
  const record = (minutesAgo: number) =>
    JSON.stringify({ level: 30, time: Date.now() - minutesAgo * 60_000, audit: true, event: 'repair', namespace: 'payments', action: 'apply-baseline', policies: ['allow-dns'], trigger: 'test', message: `${minutesAgo} minutes ago` });
  const input = `${[record(180), record(30), record(2)].join('\n')}\n`;
  t.strictSame(
    json(['--since', '1h'], input).repairs.shown.map((r) => r.message),
    ['2 minutes ago', '30 minutes ago'],
  );
  t.strictSame(
    json(['--since', '1h', '--until', '10m'], input).repairs.shown.map((r) => r.message),
    ['30 minutes ago'],
  );
});

t.test('bad input: a clear message on stderr, exit 2, nothing on stdout', async (t) => {
  const usage = '\nRun "netpol-hygiene report --help" for usage.\n';
  const cases = [
    {
      args: ['--bogus'],
      stderr: `netpol-hygiene report: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "--bogus"${usage}`,
    },
    { args: ['-o', 'xml'], stderr: `netpol-hygiene report: -o must be one of text, json, html, got "xml"${usage}` },
    { args: ['--since', 'yesterday'], stderr: `netpol-hygiene report: --since: "yesterday" is neither an RFC 3339 time (2026-11-30T16:00:00Z) nor a duration (90s, 15m, 1h30m, 7d)${usage}` },
    { args: ['--until', '2026-11-30'], stderr: `netpol-hygiene report: --until: "2026-11-30" is neither an RFC 3339 time (2026-11-30T16:00:00Z) nor a duration (90s, 15m, 1h30m, 7d)${usage}` },
    { args: ['--since', '2026-11-30T10:00:00Z', '--until', '2026-11-30T09:00:00Z'], stderr: `netpol-hygiene report: --since (2026-11-30T10:00:00.000Z) must be before --until (2026-11-30T09:00:00.000Z)${usage}` },
    { args: ['--top', '0'], stderr: `netpol-hygiene report: --top must be an integer from 1 to 100, got "0"${usage}` },
    { args: ['--list', 'many'], stderr: `netpol-hygiene report: --list must be an integer from 0 to 1000, got "many"${usage}` },
    { args: ['--since'], stderr: `netpol-hygiene report: Option '--since <value>' argument missing${usage}` },
    { args: [prefixed, '/nonexistent/audit.log'], stderr: "netpol-hygiene report: cannot read /nonexistent/audit.log: ENOENT: no such file or directory, open '/nonexistent/audit.log'\n" },
    { args: [fixtures], stderr: `netpol-hygiene report: cannot read ${fixtures}: it is a directory\n` },
  ];
  for (const c of cases) {
    const result = run(c.args);
    t.equal(result.status, 2, `${c.args.join(' ')}: exit 2`);
    t.equal(result.stderr, c.stderr, `${c.args.join(' ')}: message`);
    t.equal(result.stdout, '', `${c.args.join(' ')}: no report`);
  }
});

t.test('input without audit records: the report says so on stderr, exit 0', async (t) => {
  const result = run(['-o', 'json'], '{"level":30,"time":1,"msg":"listening"}\nplain text\n');
  t.equal(result.status, 0);
  t.equal(result.stderr, 'netpol-hygiene report: none of the 2 lines read is an audit record (a JSON line marked "audit":true)\n');
  t.equal((JSON.parse(result.stdout) as Report).audit?.input.matched, 0);
});

t.test('--help prints the usage on stdout; main usage lists report', async (t) => {
  const help = run(['--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /^Usage: netpol-hygiene report \[FILE\|-\]\.\.\. \[-o text\|json\|html\]/);
  const top = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
  t.match(top.stderr, '  netpol-hygiene report [FILE|-]... [-o text|json|html] [--since TIME] [--until TIME]\n');
});
