// report --cluster: every governed namespace against its profile, judged from listed objects.
import t from 'tap';
import type { NamespacePosture } from '../../src/report/model.ts';
import { clusterPosture } from '../../src/report/posture.ts';
import { renderText } from '../../src/report/render-text.ts';
import { configWith } from './helpers.ts';
import { baseline, config, namespace, objects, seedNames } from './posture-fixture.ts';

const posture = clusterPosture(objects, config);

function expected(name: string, changes: Partial<NamespacePosture> = {}): NamespacePosture {
  return { name, profile: 'seed', baseline: 'complete', missing: [], edited: [], foreign: [], obsolete: [], aboveCeiling: [], pods: 0, tierProblems: [], unmanaged: [], ...changes };
}

const cases: [string, NamespacePosture][] = [
  ['complete: every baseline policy present, managed and as rendered', expected('shop-complete')],
  ['missing: deleted baseline policies, in the profile order', expected('shop-missing', { baseline: 'incomplete', missing: ['allow-dns', 'allow-business-to-db'] })],
  ['edited: a managed policy whose spec was changed', expected('shop-edited', { baseline: 'incomplete', edited: ['default-deny'] })],
  ['foreign: a same-named policy netpol-hygiene does not manage', expected('shop-foreign', { baseline: 'incomplete', foreign: ['allow-dns'], unmanaged: ['allow-dns'] })],
  ['obsolete: a managed policy the profile no longer has', expected('shop-obsolete', { baseline: 'incomplete', obsolete: ['allow-legacy'] })],
  [
    'above the ceiling: an unmanaged policy wider than the profile allows',
    expected('shop-above', {
      aboveCeiling: [
        {
          policy: 'open-db',
          messages: [
            'NP-CEILING: NetworkPolicy "open-db" in namespace "shop-above" would allow ingress to tier=db pods from any pod in any namespace on port 8082; ' +
              'profile "seed" allows ingress to tier=db only from tier=business in shop-above; narrow spec.ingress[0].from, or ask a member of system:masters',
          ],
        },
      ],
      unmanaged: ['open-db'],
    }),
  ],
  [
    'pods: no tier, a tier not configured, a tier not entitled; finished pods left out',
    expected('shop-pods', {
      pods: 5,
      tierProblems: [
        { pod: 'db-0', tier: 'db', problem: 'unentitled', message: 'pod "db-0" has tier=db, which its service account "default" and images nginx:1.27 are not entitled to' },
        { pod: 'front', tier: 'frontend', problem: 'invalid', message: 'pod "front" has tier=frontend, which is not one of ui, business, db' },
        { pod: 'worker', tier: null, problem: 'missing', message: 'pod "worker" has no tier label' },
      ],
    }),
  ],
];

for (const [name, want] of cases) {
  t.test(name, async (t) => {
    t.strictSame(posture.namespaces.find((ns) => ns.name === want.name), want);
  });
}

t.test('exempt and terminating namespaces are named, not judged', async (t) => {
  t.strictSame(posture.exempt, ['kube-system', 'netpol-hygiene']);
  t.strictSame(posture.terminating, ['shop-leaving']);
  t.strictSame(
    posture.namespaces.map((ns) => ns.name),
    ['shop-above', 'shop-complete', 'shop-edited', 'shop-foreign', 'shop-missing', 'shop-obsolete', 'shop-pods'],
    'governed namespaces by name',
  );
});

t.test('totals add up the namespaces', async (t) => {
  t.strictSame(posture.totals, {
    namespaces: 7,
    complete: 3,
    exempt: 2,
    missingPolicies: 2,
    editedPolicies: 1,
    foreignPolicies: 1,
    aboveCeiling: 1,
    podsWithoutValidTier: 3,
    pods: 5,
    unmanagedPolicies: 2,
  });
  t.equal(posture.server, 'https://127.0.0.1:6443');
});

t.test('a namespace labelled with another profile is judged against that profile', async (t) => {
  const lean = configWith({ profiles: { ...config.profiles, lean: { allowDns: false, allowClusterEgress: false, tiers: [] } } });
  const labels = { 'netpol-hygiene.io/profile': 'lean' };
  const result = clusterPosture({ server: 's', namespaces: [{ metadata: { name: 'batch', labels } }], pods: [], policies: baseline('batch') }, lean);
  t.strictSame(result.namespaces, [
    expected('batch', { profile: 'lean', baseline: 'incomplete', obsolete: seedNames.slice(1).sort() }),
  ]);
});

t.test('an empty cluster has nothing to report', async (t) => {
  const result = clusterPosture({ server: 's', namespaces: [], pods: [], policies: [] }, config);
  t.strictSame(result, { server: 's', totals: { namespaces: 0, complete: 0, exempt: 0, missingPolicies: 0, editedPolicies: 0, foreignPolicies: 0, aboveCeiling: 0, podsWithoutValidTier: 0, pods: 0, unmanagedPolicies: 0 }, namespaces: [], exempt: [], terminating: [] });
});

t.test('as text: totals, one row per namespace, then each finding with its message', async (t) => {
  const text = renderText({ kind: 'NetpolHygieneReport', version: 1, generatedAt: '2026-11-30T12:00:00.000Z', posture });
  t.equal(
    text,
    `netpol-hygiene report, generated 2026-11-30T12:00:00.000Z

Cluster posture: https://127.0.0.1:6443
Namespaces: 7 governed, 3 with a complete baseline; 2 exempt (kube-system, netpol-hygiene); 1 terminating (shop-leaving)
Baseline: 2 policies missing, 1 edited, 1 held by unmanaged policies
Above the ceiling: 1 policy; unmanaged: 2 policies
Pods without a valid or entitled tier: 3 of 5

Posture per namespace
NAMESPACE      PROFILE  BASELINE    MISSING  EDITED  FOREIGN  OBSOLETE  ABOVE-CEILING  BAD-TIER  PODS  UNMANAGED
shop-above     seed     complete          0       0        0         0              1         0     0          1
shop-complete  seed     complete          0       0        0         0              0         0     0          0
shop-edited    seed     incomplete        0       1        0         0              0         0     0          0
shop-foreign   seed     incomplete        0       0        1         0              0         0     0          1
shop-missing   seed     incomplete        2       0        0         0              0         0     0          0
shop-obsolete  seed     incomplete        0       0        0         1              0         0     0          0
shop-pods      seed     complete          0       0        0         0              0         3     5          0

Findings: 6 namespaces
  shop-above (profile seed): baseline complete
    above the ceiling: open-db
      NP-CEILING: NetworkPolicy "open-db" in namespace "shop-above" would allow ingress to tier=db pods from any pod in any namespace on port 8082; profile "seed" allows ingress to tier=db only from tier=business in shop-above; narrow spec.ingress[0].from, or ask a member of system:masters
    unmanaged policies: open-db
  shop-edited (profile seed): baseline incomplete
    edited: default-deny
  shop-foreign (profile seed): baseline incomplete
    held by unmanaged policies: allow-dns
    unmanaged policies: allow-dns
  shop-missing (profile seed): baseline incomplete
    missing: allow-dns, allow-business-to-db
  shop-obsolete (profile seed): baseline incomplete
    obsolete (managed, no longer in the profile): allow-legacy
  shop-pods (profile seed): baseline complete
    pods without a valid or entitled tier: 3 of 5
      pod "db-0" has tier=db, which its service account "default" and images nginx:1.27 are not entitled to
      pod "front" has tier=frontend, which is not one of ui, business, db
      pod "worker" has no tier label
`,
  );
});

t.test('as text, a cluster with nothing governed says so', async (t) => {
  const empty = clusterPosture({ server: 'https://10.0.0.1', namespaces: [namespace('kube-system')], pods: [], policies: [] }, config);
  t.equal(
    renderText({ kind: 'NetpolHygieneReport', version: 1, generatedAt: '2026-11-30T12:00:00.000Z', posture: empty }),
    `netpol-hygiene report, generated 2026-11-30T12:00:00.000Z

Cluster posture: https://10.0.0.1
Namespaces: 0 governed, 0 with a complete baseline; 1 exempt (kube-system); 0 terminating
Baseline: 0 policies missing, 0 edited, 0 held by unmanaged policies
Above the ceiling: 0 policies; unmanaged: 0 policies
Pods without a valid or entitled tier: 0 of 0

Posture per namespace
  none

Findings: none
`,
  );
});
