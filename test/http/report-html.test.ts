// The HTML report in a real browser (Debian's chromium through playwright-core): it renders,
// every chart shows the numbers the JSON report has, nothing is fetched, no console error,
// and hostile names from a log stay text.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import t from 'tap';
import type { Report } from '../../src/report/model.ts';
import { clusterPosture } from '../../src/report/posture.ts';
import { renderHtml } from '../../src/report/render-html.ts';
import { config as postureConfig, objects as clusterObjects } from '../unit/posture-fixture.ts';

const chromiumPath = '/usr/bin/chromium';
const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const fixture = new URL('../fixtures/audit/kubectl-logs-prefix.log', import.meta.url).pathname;

function report(args: string[], input?: string): string {
  const result = spawnSync(process.execPath, [main, 'report', ...args], { encoding: 'utf8', input });
  if (result.status !== 0) throw new Error(`report ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

interface Loaded {
  readonly page: Page;
  readonly problems: string[];
}

let browser: Browser;

t.before(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
t.teardown(() => browser?.close());

/** Opens the HTML and records every console error, page error, dialog and network request. */
async function open(html: string): Promise<Loaded> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('request', (request) => problems.push(`request: ${request.url()}`));
  await page.setContent(html, { waitUntil: 'load' });
  return { page, problems };
}

interface Bar {
  readonly key: string;
  readonly value: number;
  readonly text: string;
  readonly width: number;
  readonly segments: Record<string, number>;
}

/** What a reader sees on one breakdown chart: label, number and drawn width of each bar. */
function readBars(page: Page, chartId: string): Promise<Bar[]> {
  return page.locator(`svg#${chartId} g.bar`).evaluateAll((groups) =>
    groups.map((g) => ({
      key: g.getAttribute('data-key') ?? '',
      value: Number(g.getAttribute('data-value')),
      text: g.querySelector('text.value')?.textContent ?? '',
      width: [...g.querySelectorAll('rect')].reduce((sum, r) => sum + r.getBoundingClientRect().width, 0),
      segments: Object.fromEntries([...g.querySelectorAll('rect')].map((r) => [r.getAttribute('data-decision'), Number(r.getAttribute('data-value'))])),
    })),
  );
}

t.test('renders the audit report: charts carry the numbers of the JSON report, nothing fetched, no errors', async (t) => {
  const json = JSON.parse(report([fixture, '-o', 'json'])) as Report;
  const audit = json.audit!;
  const { page, problems } = await open(report([fixture, '-o', 'html']));
  t.teardown(() => page.close());

  t.equal(await page.title(), 'netpol-hygiene audit report');
  t.strictSame(await page.locator('h2').allTextContents(), [
    'Totals',
    'Decisions over time',
    'Top rules',
    'Top namespaces',
    'Top users and service accounts',
    'Denials',
    'Repairs',
    'Policies reported above the ceiling (not changed)',
  ]);
  t.equal(await page.locator('#input').textContent(), 'Read 78 lines: 71 audit records, 71 matched; 7 other lines skipped (7 operational, 0 not JSON, 0 malformed, 0 blank)');

  const cards = await page.locator('[data-total]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-total'), e.getAttribute('data-value'), e.querySelector('dd')?.textContent]));
  // repairs: the fixture's apply-baseline records (lines 39, 42, 68); above the ceiling: line 38;
  // line 40, the start-up backfill's summary, is neither.
  t.strictSame(cards, [
    ['admissions', '66', '66'],
    ['allowed', '28', '28'],
    ['patched', '22', '22'],
    ['warned', '2', '2'],
    ['denied', '6', '6'],
    ['exempt', '8', '8'],
    ['could-not-decide', '1', '1'],
    ['dry-run', '2', '2'],
    ['repairs', '3', '3'],
    ['above-ceiling-reports', '1', '1'],
  ]);

  for (const [chartId, name, breakdown] of [
    ['chart-rules', 'Top rules by records', audit.byRule],
    ['chart-namespaces', 'Top namespaces by records', audit.byNamespace],
    ['chart-users', 'Top users and service accounts by records', audit.byUser],
  ] as const) {
    t.equal(await page.getByRole('img', { name, exact: true }).count(), 1, `${chartId}: an image named "${name}"`);
    const bars = await readBars(page, chartId);
    t.strictSame(
      bars.map((b) => [b.key, b.value, b.text]),
      breakdown.entries.map((e) => [e.key, e.total, String(e.total)]),
      `${chartId}: one bar per entry, its number as text and data-value`,
    );
    for (const [index, bar] of bars.entries()) {
      const entry = breakdown.entries[index]!;
      const expected = Object.fromEntries(Object.entries({ ...entry.decisions, repairs: entry.repairs }).filter(([, n]) => n > 0));
      t.strictSame(bar.segments, expected, `${chartId} ${bar.key}: one segment per decision`);
    }
    const longest = bars[0]!;
    for (const bar of bars) t.ok(Math.abs(bar.width / longest.width - bar.value / longest.value) < 0.01, `${chartId} ${bar.key}: drawn length proportional to ${bar.value}`);
  }
  t.strictSame((await readBars(page, 'chart-rules')).slice(0, 2).map((b) => [b.key, b.text]), [
    ['(none)', '37'],
    ['POD-TIER', '25'],
  ]);

  t.equal(await page.getByRole('img', { name: 'Decisions over time', exact: true }).count(), 1);
  const buckets = await page.locator('svg#chart-timeline g.bucket').evaluateAll((groups) =>
    groups.map((g) => ({ start: g.getAttribute('data-start'), value: Number(g.getAttribute('data-value')), text: g.querySelector('text.value')?.textContent ?? '' })),
  );
  t.strictSame(
    buckets,
    audit.timeline.buckets.map((b) => {
      const total = Object.values(b.decisions).reduce((sum, n) => sum + n, 0) + b.repairs;
      return { start: b.start, value: total, text: total === 0 ? '' : String(total) };
    }),
    'one bar per bucket with its total as text and data-value',
  );
  t.equal(buckets.find((b) => b.start === '2026-11-30T08:15:00.000Z')?.text, '12');

  const denials = await page.locator('#denials tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelector('td.message')?.textContent));
  t.equal(denials.length, 6);
  t.equal(denials[2], 'NP-GUARD: NetworkPolicy "allow-dns" in namespace "products-prod" is part of the netpol-hygiene baseline (profile "seed"); user "bob@example.com" may not delete it; change the profile in the netpol-hygiene config, or ask a member of system:masters');
  t.strictSame(
    await page.locator('#repairs tbody tr td:nth-child(2)').allTextContents(),
    ['products-prod', 'payments', 'legacy-batch'],
  );
  t.strictSame(
    await page.locator('#above-ceiling-reports tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(1, 4).map((td) => td.textContent))),
    [['legacy-batch', 'open-db', 'start-up backfill']],
  );
  t.strictSame(problems, [], 'no console error, page error, dialog or request');
});

t.test('names and messages from a log are shown as text, never run', async (t) => {
  const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
  const line = JSON.stringify({
    level: 30,
    time: Date.parse('2026-11-30T08:00:00Z'),
    audit: true,
    event: 'admission',
    webhook: 'validate',
    uid: 'u1',
    operation: 'CREATE',
    kind: 'Pod',
    namespace: 'products-prod',
    name: 'web',
    user: hostile,
    groups: [],
    dryRun: false,
    mode: 'enforce',
    decision: 'denied',
    code: 403,
    rules: ['POD-TIER'],
    message: `POD-TIER: ${hostile}`,
    latencyMs: 0.3,
  });
  const { page, problems } = await open(report(['-o', 'html'], `${line}\n`));
  t.teardown(() => page.close());
  t.equal(await page.locator('img, script').count(), 0, 'no element was injected');
  t.equal(await page.locator('#denials td.message').textContent(), `POD-TIER: ${hostile}`);
  t.equal(await page.locator('svg#chart-users g.bar').getAttribute('data-key'), hostile);
  t.strictSame(problems, []);
});

t.test('an empty report renders with "none" in every place', async (t) => {
  const { page, problems } = await open(report(['-o', 'html'], 'not an audit line\n'));
  t.teardown(() => page.close());
  t.equal(await page.locator('svg#chart-rules text.empty').textContent(), 'No records');
  t.equal(await page.locator('svg#chart-timeline g.bucket').count(), 0);
  t.equal(await page.locator('#denials p').textContent(), 'None.');
  t.strictSame(problems, []);
});

t.test('renders the cluster posture: every card, bar and table cell carries the JSON report\'s number', async (t) => {
  const posture = clusterPosture(clusterObjects, postureConfig);
  const { page, problems } = await open(renderHtml({ kind: 'NetpolHygieneReport', version: 1, generatedAt: '2026-11-30T12:00:00.000Z', posture }));
  t.teardown(() => page.close());

  t.equal(await page.title(), 'netpol-hygiene cluster posture report');
  t.strictSame(await page.locator('h2').allTextContents(), ['Cluster posture', 'Posture per namespace', 'Posture findings']);
  t.equal(await page.locator('#cluster').textContent(), 'Cluster: https://127.0.0.1:6443');
  t.equal(await page.locator('#posture-exempt').textContent(), 'Exempt (not judged): kube-system, netpol-hygiene. Terminating (not judged): shop-leaving.');

  const cards = await page.locator('[data-posture]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-posture'), e.getAttribute('data-value'), e.querySelector('dd')?.textContent]));
  t.strictSame(cards, [
    ['namespaces', '7', '7'],
    ['complete', '3', '3'],
    ['exempt', '2', '2'],
    ['missing', '2', '2'],
    ['edited', '1', '1'],
    ['foreign', '1', '1'],
    ['above-ceiling', '1', '1'],
    ['bad-tier', '3', '3'],
    ['pods', '5', '5'],
    ['unmanaged', '2', '2'],
  ]);

  t.equal(await page.getByRole('img', { name: 'Problems per governed namespace', exact: true }).count(), 1);
  const bars = await page.locator('svg#chart-posture g.bar').evaluateAll((groups) =>
    groups.map((g) => ({
      key: g.getAttribute('data-key'),
      baseline: g.getAttribute('data-baseline'),
      value: Number(g.getAttribute('data-value')),
      text: g.querySelector('text.value')?.textContent ?? '',
      width: [...g.querySelectorAll('rect')].reduce((sum, r) => sum + r.getBoundingClientRect().width, 0),
      segments: Object.fromEntries([...g.querySelectorAll('rect')].map((r) => [r.getAttribute('data-problem'), Number(r.getAttribute('data-value'))])),
    })),
  );
  t.strictSame(
    bars.map(({ key, baseline, value, text, segments }) => ({ key, baseline, value, text, segments })),
    [
      { key: 'shop-above', baseline: 'complete', value: 1, text: '1', segments: { 'above-ceiling': 1 } },
      { key: 'shop-complete', baseline: 'complete', value: 0, text: '0 (complete)', segments: {} },
      { key: 'shop-edited', baseline: 'incomplete', value: 1, text: '1', segments: { edited: 1 } },
      { key: 'shop-foreign', baseline: 'incomplete', value: 1, text: '1', segments: { foreign: 1 } },
      { key: 'shop-missing', baseline: 'incomplete', value: 2, text: '2', segments: { missing: 2 } },
      { key: 'shop-obsolete', baseline: 'incomplete', value: 1, text: '1', segments: { obsolete: 1 } },
      { key: 'shop-pods', baseline: 'complete', value: 3, text: '3', segments: { 'bad-tier': 3 } },
    ],
    'one bar per governed namespace, its problems as text, data-value and segments',
  );
  const longest = bars.find((bar) => bar.key === 'shop-pods')!;
  for (const bar of bars) t.ok(Math.abs(bar.width / longest.width - bar.value / longest.value) < 0.01, `${bar.key}: drawn length proportional to ${bar.value}`);

  const rows = await page.locator('#posture-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => [td.getAttribute('data-column'), td.getAttribute('data-value'), td.textContent])));
  t.equal(rows.length, posture.namespaces.length);
  for (const [index, ns] of posture.namespaces.entries()) {
    const expected = { namespace: ns.name, profile: ns.profile, baseline: ns.baseline, missing: ns.missing.length, edited: ns.edited.length, foreign: ns.foreign.length, obsolete: ns.obsolete.length, 'above-ceiling': ns.aboveCeiling.length, 'bad-tier': ns.tierProblems.length, pods: ns.pods, unmanaged: ns.unmanaged.length };
    t.strictSame(rows[index], Object.entries(expected).map(([column, value]) => [column, String(value), String(value)]), `${ns.name}: a row with the JSON numbers`);
  }

  const findings = await page.locator('#posture-findings tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-namespace'), tr.getAttribute('data-finding'), tr.querySelector('td.message')?.textContent]));
  t.strictSame(findings, [
    [
      'shop-above',
      'above-ceiling',
      'NP-CEILING: NetworkPolicy "open-db" in namespace "shop-above" would allow ingress to tier=db pods from any pod in any namespace on port 8082; profile "seed" allows ingress to tier=db only from tier=business in shop-above; narrow spec.ingress[0].from, or ask a member of system:masters',
    ],
    ['shop-above', 'unmanaged', 'open-db'],
    ['shop-edited', 'edited', 'default-deny'],
    ['shop-foreign', 'foreign', 'allow-dns'],
    ['shop-foreign', 'unmanaged', 'allow-dns'],
    ['shop-missing', 'missing', 'allow-dns, allow-business-to-db'],
    ['shop-obsolete', 'obsolete', 'allow-legacy'],
    ['shop-pods', 'bad-tier', 'pod "db-0" has tier=db, which its service account "default" and images nginx:1.27 are not entitled to'],
    ['shop-pods', 'bad-tier', 'pod "front" has tier=frontend, which is not one of ui, business, db'],
    ['shop-pods', 'bad-tier', 'pod "worker" has no tier label'],
  ]);
  t.strictSame(problems, [], 'no console error, page error, dialog or request');
});

t.test('audit log and cluster posture in one page', async (t) => {
  const audit = (JSON.parse(report([fixture, '-o', 'json'])) as Report).audit!;
  const posture = clusterPosture(clusterObjects, postureConfig);
  const { page, problems } = await open(renderHtml({ kind: 'NetpolHygieneReport', version: 1, generatedAt: '2026-11-30T12:00:00.000Z', audit, posture }));
  t.teardown(() => page.close());
  t.equal(await page.title(), 'netpol-hygiene audit report');
  t.strictSame((await page.locator('h2').allTextContents()).slice(-4), ['Policies reported above the ceiling (not changed)', 'Cluster posture', 'Posture per namespace', 'Posture findings']);
  t.equal(await page.locator('[data-total="admissions"] dd').textContent(), '66');
  t.equal(await page.locator('[data-posture="complete"] dd').textContent(), '3');
  t.strictSame(problems, []);
});
