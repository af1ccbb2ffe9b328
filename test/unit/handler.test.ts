// handleAdmission: exemptions first, then the kind's rule, then the mode picks the outlet
// (enforce → denial, warn → warnings, audit → auditAnnotations); self-heal; fail closed;
// exactly one audit record per call.
import t, { type Test } from 'tap';
import { type AdmissionDeps, type WebhookPath, handleAdmission } from '../../src/admission/handler.ts';
import type { BaselineConverger } from '../../src/policy/baseline-convergence.ts';
import type { AdmissionRequest, AdmissionResponse, UserInfo } from '../../src/kube/admission-review.ts';
import type { AdmissionAuditRecord } from '../../src/audit/audit-log.ts';
import type { Config } from '../../src/config/types.ts';
import { renderBaseline } from '../../src/policy/baseline.ts';
import type { ClusterState } from '../../src/policy/decision.ts';
import type { NetworkPolicy } from '../../src/kube/network-policy.ts';
import { loadReview } from '../fixtures/load.ts';
import {
  admissionRequest,
  configWith,
  decodePatch,
  defaultConfig,
  fakeCluster,
  managedDefaultDeny,
  namespaceObject,
  podObject,
  recordingAudit,
  unavailableCluster,
  users,
} from './helpers.ts';

const podUid = '0df28fbd-5f5f-11e8-bc74-36e6bb280816';
const seedLabels = { 'netpol-hygiene.io/profile': 'seed' };
const seedBaseline = renderBaseline('products-prod', defaultConfig.profiles['seed']!, defaultConfig);
const baselineNames = 'default-deny, allow-dns, allow-cluster-egress, allow-ingress-to-ui, allow-ui-to-business, allow-business-to-db';

const noTierMessage =
  'POD-TIER: pod "web-7f9c8d6b5-*" in namespace "products-prod" has no "tier" label and no rule matched; set label tier=<ui|business|db>, or annotation netpol-hygiene.io/tier, or a default tier on the namespace';
const unprotectedMessage =
  'POD-PROTECTED: namespace "products-prod" has no effective default-deny NetworkPolicy for ingress and egress, so pod "web-7f9c8d6b5-*" would run unprotected; apply the baseline: netpol-hygiene render --namespace products-prod --profile seed | kubectl apply -f -';
const unavailableMessage =
  'netpol-hygiene: cluster state is unavailable (informer caches have not synced); the decision needs it, so the request is refused until the API server can be read again';

/** The Deployment's pod; `tier` set as the mutating webhook would have set it. */
function deploymentPod(options: { tier?: string; dryRun?: boolean } = {}): AdmissionRequest {
  const request = loadReview('pod-from-deployment').request;
  const object = structuredClone(request.object) as { metadata: { labels: Record<string, string> } };
  if (options.tier !== undefined) object.metadata.labels['tier'] = options.tier;
  return { ...request, object, dryRun: options.dryRun ?? false };
}

function cluster(options: { namespaceLabels?: Record<string, string>; policies?: readonly NetworkPolicy[] } = {}): ClusterState {
  return fakeCluster({
    namespaces: { 'products-prod': { labels: options.namespaceLabels ?? seedLabels } },
    policies: { 'products-prod': options.policies ?? [managedDefaultDeny] },
  });
}

interface RecordingEnsurer extends BaselineConverger {
  readonly calls: [string, { dryRun: boolean; trigger: string }][];
}

/** A BaselineConverger that answers with `result` (or rejects with it) and records its calls. */
function ensurer(result: readonly NetworkPolicy[] | Error): RecordingEnsurer {
  const calls: [string, { dryRun: boolean; trigger: string }][] = [];
  return {
    calls,
    async converge(namespace, options) {
      calls.push([namespace, options]);
      if (result instanceof Error) throw result;
      return { policies: result, changed: result.map((p) => p.metadata?.name ?? '') };
    },
  };
}

interface Run {
  readonly response: AdmissionResponse;
  readonly record: AdmissionAuditRecord;
}

/**
 * Calls the handler once and returns its response and its one audit record, asserting there
 * is exactly one and that latency is a plain non-negative number (then zeroed for comparison).
 */
async function run(
  t: Test,
  webhook: WebhookPath,
  request: AdmissionRequest,
  options: { cluster?: ClusterState; config?: Config; baseline?: BaselineConverger } = {},
): Promise<Run> {
  const audit = recordingAudit();
  const deps: AdmissionDeps = {
    context: { config: options.config ?? defaultConfig, cluster: options.cluster ?? cluster() },
    audit,
    ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
  };
  const response = await handleAdmission(webhook, request, deps);
  t.equal(audit.records.length, 1, 'exactly one audit record');
  const record = audit.admissionRecords()[0] as AdmissionAuditRecord;
  t.ok(Number.isFinite(record.latencyMs) && record.latencyMs >= 0, 'latencyMs is a non-negative number');
  t.equal(response.uid, request.uid, 'the request uid is echoed');
  return { response, record: { ...record, latencyMs: 0 } };
}

const warnConfig = configWith({ mode: 'warn' });
const auditConfig = configWith({ mode: 'audit' });

t.test('modes are outlets for the same violation', async (t) => {
  const denied: AdmissionResponse = { uid: podUid, allowed: false, status: { code: 403, reason: 'Forbidden', message: noTierMessage } };
  const warned: AdmissionResponse = { uid: podUid, allowed: true, warnings: [noTierMessage], auditAnnotations: { rules: 'POD-TIER', message: noTierMessage } };
  const audited: AdmissionResponse = { uid: podUid, allowed: true, auditAnnotations: { rules: 'POD-TIER', message: noTierMessage } };
  const cases: readonly { name: string; config: Config; namespaceLabels?: Record<string, string>; response: AdmissionResponse; decision: string; mode: string }[] = [
    { name: 'enforce (config): 403 Forbidden naming rule, object and fix', config: defaultConfig, response: denied, decision: 'denied', mode: 'enforce' },
    { name: 'warn (config): allowed, warnings for kubectl', config: warnConfig, response: warned, decision: 'warned', mode: 'warn' },
    { name: 'audit (config): allowed, auditAnnotations', config: auditConfig, response: audited, decision: 'allowed', mode: 'audit' },
    {
      name: 'namespace label mode=warn overrides config enforce',
      config: defaultConfig,
      namespaceLabels: { ...seedLabels, 'netpol-hygiene.io/mode': 'warn' },
      response: warned,
      decision: 'warned',
      mode: 'warn',
    },
    {
      name: 'namespace label mode=audit overrides config enforce',
      config: defaultConfig,
      namespaceLabels: { ...seedLabels, 'netpol-hygiene.io/mode': 'audit' },
      response: audited,
      decision: 'allowed',
      mode: 'audit',
    },
    {
      name: 'namespace label mode=enforce overrides config audit',
      config: auditConfig,
      namespaceLabels: { ...seedLabels, 'netpol-hygiene.io/mode': 'enforce' },
      response: denied,
      decision: 'denied',
      mode: 'enforce',
    },
    {
      name: 'an invalid namespace mode label falls back to the config mode',
      config: warnConfig,
      namespaceLabels: { ...seedLabels, 'netpol-hygiene.io/mode': 'off' },
      response: warned,
      decision: 'warned',
      mode: 'warn',
    },
  ];
  for (const c of cases) {
    const { response, record } = await run(t, 'validate', deploymentPod(), { config: c.config, cluster: cluster({ namespaceLabels: c.namespaceLabels ?? seedLabels }) });
    t.strictSame(response, c.response, `${c.name}: response`);
    t.equal(record.decision, c.decision, `${c.name}: audit decision`);
    t.equal(record.mode, c.mode, `${c.name}: audit mode`);
    t.strictSame(record.rules, ['POD-TIER'], `${c.name}: audit rules`);
    t.equal(record.message, noTierMessage, `${c.name}: audit message`);
  }
});

t.test('warn with two violations: one warning each, one joined message', async (t) => {
  const { response, record } = await run(t, 'validate', deploymentPod(), { config: warnConfig, cluster: cluster({ policies: [] }) });
  const joined = `${noTierMessage}; ${unprotectedMessage}`;
  t.strictSame(response, {
    uid: podUid,
    allowed: true,
    warnings: [noTierMessage, unprotectedMessage],
    auditAnnotations: { rules: 'POD-TIER,POD-PROTECTED', message: joined },
  });
  t.equal(record.message, joined);
  t.strictSame(record.rules, ['POD-TIER', 'POD-PROTECTED']);
});

t.test("a Namespace request goes out in the namespace's mode from before the request", async (t) => {
  const relabel = (oldLabels: Record<string, string>): AdmissionRequest =>
    admissionRequest('Namespace', {
      operation: 'UPDATE',
      object: namespaceObject('products-prod', { 'netpol-hygiene.io/profile': 'seed-prod', 'netpol-hygiene.io/mode': 'audit' }),
      oldObject: namespaceObject('products-prod', oldLabels),
    });
  const message =
    'NS-LABELS: changing netpol-hygiene.io/mode, netpol-hygiene.io/profile on namespace "products-prod" requires membership in an admin group (system:masters); user "jane@example.com" is not in one';
  const setting = await run(t, 'validate', relabel(seedLabels), { cluster: unavailableCluster() });
  t.strictSame(
    setting.response,
    { uid: 'e911857d-c318-11e8-bbad-025000000001', allowed: false, status: { code: 403, reason: 'Forbidden', message } },
    'setting mode=audit cannot wave its own violation through',
  );
  const already = await run(t, 'validate', relabel({ ...seedLabels, 'netpol-hygiene.io/mode': 'audit' }), { cluster: unavailableCluster() });
  t.strictSame(
    already.response,
    {
      uid: 'e911857d-c318-11e8-bbad-025000000001',
      allowed: true,
      auditAnnotations: { rules: 'NS-LABELS', message: message.replace('netpol-hygiene.io/mode, ', '') },
    },
    'a namespace already in audit mode is audited',
  );
});

t.test('exempt users, groups and namespaces are allowed and recorded as exempt, before any cluster read', async (t) => {
  const exemptConfig = configWith({ exemptions: { namespaces: ['kube-system', 'kube-public', 'kube-node-lease'], usernames: ['ci-bot'], groups: ['platform'] } });
  const cases: readonly { name: string; request: AdmissionRequest; reason: string }[] = [
    { name: 'exempt user', request: { ...deploymentPod(), userInfo: { username: 'ci-bot', groups: ['system:authenticated'] } }, reason: 'user "ci-bot" is exempt' },
    { name: 'exempt group', request: { ...deploymentPod(), userInfo: { username: 'ops@example.com', groups: ['system:authenticated', 'platform'] } }, reason: 'group "platform" is exempt' },
    { name: 'exempt namespace (kube-system)', request: { ...deploymentPod(), namespace: 'kube-system' }, reason: 'namespace "kube-system" is exempt' },
    { name: "the webhook's own namespace", request: { ...deploymentPod(), namespace: 'netpol-hygiene' }, reason: 'namespace "netpol-hygiene" is exempt' },
    {
      name: 'an exempt Namespace object itself (kube-public)',
      request: admissionRequest('Namespace', { operation: 'UPDATE', object: namespaceObject('kube-public', { 'netpol-hygiene.io/profile': 'none' }), oldObject: namespaceObject('kube-public', {}) }),
      reason: 'namespace "kube-public" is exempt',
    },
  ];
  for (const c of cases) {
    for (const webhook of ['mutate', 'validate'] as const) {
      const { response, record } = await run(t, webhook, c.request, { config: exemptConfig, cluster: unavailableCluster() });
      t.strictSame(response, { uid: c.request.uid, allowed: true, auditAnnotations: { exempt: c.reason } }, `${c.name} (${webhook}): response`);
      t.equal(record.decision, 'exempt', `${c.name} (${webhook}): audit decision`);
      t.equal(record.message, c.reason, `${c.name} (${webhook}): audit message`);
      t.strictSame(record.rules, [], `${c.name} (${webhook}): no rules ran`);
    }
  }
});

t.test('POD-PROTECTED self-heal through the baseline ensurer', async (t) => {
  t.test('dry run: ensure is asked for a dry run, the pod is allowed against the rendered baseline', async (t) => {
    const baseline = ensurer(seedBaseline);
    const { response, record } = await run(t, 'validate', deploymentPod({ tier: 'ui', dryRun: true }), { cluster: cluster({ policies: [] }), baseline });
    t.strictSame(baseline.calls, [['products-prod', { dryRun: true, trigger: `pod admission ${podUid}`, urgent: true }]]);
    t.strictSame(response, { uid: podUid, allowed: true });
    t.equal(record.dryRun, true);
    t.equal(record.decision, 'allowed');
    t.strictSame(record.reasons, [`would apply (dry run) the baseline to namespace "products-prod": ${baselineNames}`]);
  });

  t.test('the ensurer applies the baseline: the pod is allowed and the reasons say so', async (t) => {
    const baseline = ensurer(seedBaseline);
    const { response, record } = await run(t, 'validate', deploymentPod({ tier: 'ui' }), { cluster: cluster({ policies: [] }), baseline });
    t.strictSame(baseline.calls, [['products-prod', { dryRun: false, trigger: `pod admission ${podUid}`, urgent: true }]]);
    t.strictSame(response, { uid: podUid, allowed: true });
    t.strictSame(record.reasons, [`applied the baseline to namespace "products-prod": ${baselineNames}`]);
    t.strictSame(record.rules, []);
  });

  t.test('applied policies replace same-named ones in the cache view (an edited default-deny)', async (t) => {
    const edited = { ...managedDefaultDeny, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] as const, ingress: [{}], egress: [{}] } };
    const baseline = ensurer([managedDefaultDeny]);
    const { response } = await run(t, 'validate', deploymentPod({ tier: 'ui' }), { cluster: cluster({ policies: [edited] }), baseline });
    t.strictSame(response, { uid: podUid, allowed: true });
  });

  t.test('the ensurer fails: denied, with the failure appended to POD-PROTECTED', async (t) => {
    const failure = new Error('networkpolicies.networking.k8s.io "default-deny" is forbidden: User "system:serviceaccount:netpol-hygiene:netpol-hygiene" cannot patch resource "networkpolicies"');
    const baseline = ensurer(failure);
    const { response, record } = await run(t, 'validate', deploymentPod({ tier: 'ui' }), { cluster: cluster({ policies: [] }), baseline });
    const message = `${unprotectedMessage} (applying the baseline failed: ${failure.message})`;
    t.strictSame(response, { uid: podUid, allowed: false, status: { code: 403, reason: 'Forbidden', message } });
    t.equal(record.decision, 'denied');
    t.strictSame(record.rules, ['POD-PROTECTED']);
  });

  t.test('the ensurer returns a baseline without default-deny: still denied, the attempt recorded', async (t) => {
    const baseline = ensurer(seedBaseline.filter((p) => p.metadata?.name !== 'default-deny'));
    const { response, record } = await run(t, 'validate', deploymentPod({ tier: 'ui' }), { cluster: cluster({ policies: [] }), baseline });
    t.strictSame(response, { uid: podUid, allowed: false, status: { code: 403, reason: 'Forbidden', message: unprotectedMessage } });
    t.strictSame(record.reasons, [
      'applied the baseline to namespace "products-prod": allow-dns, allow-cluster-egress, allow-ingress-to-ui, allow-ui-to-business, allow-business-to-db',
    ]);
  });

  t.test('without an ensurer (no write access), POD-PROTECTED only reports', async (t) => {
    const { response } = await run(t, 'validate', deploymentPod({ tier: 'ui' }), { cluster: cluster({ policies: [] }) });
    t.strictSame(response, { uid: podUid, allowed: false, status: { code: 403, reason: 'Forbidden', message: unprotectedMessage } });
  });

  t.test('a protected namespace never calls the ensurer; neither does the mutating webhook', async (t) => {
    const baseline = ensurer(seedBaseline);
    await run(t, 'validate', deploymentPod({ tier: 'ui' }), { baseline });
    await run(t, 'mutate', deploymentPod({ tier: 'ui' }), { cluster: cluster({ policies: [] }), baseline });
    t.strictSame(baseline.calls, []);
  });
});

t.test('cluster state unavailable', async (t) => {
  const errored = (uid: string): AdmissionResponse => ({ uid, allowed: false, status: { code: 500, reason: 'InternalError', message: unavailableMessage } });

  t.test('a Pod validate fails closed with 500', async (t) => {
    const { response, record } = await run(t, 'validate', deploymentPod({ tier: 'ui' }), { cluster: unavailableCluster() });
    t.strictSame(response, errored(podUid));
    t.match(response.status?.message, /cluster state is unavailable/);
    t.equal(record.decision, 'denied');
    t.equal(record.code, 500);
    t.equal(record.mode, 'enforce');
    t.strictSame(record.rules, []);
  });

  t.test('a Pod mutate that needs the namespace default fails closed', async (t) => {
    const { response } = await run(t, 'mutate', deploymentPod(), { cluster: unavailableCluster() });
    t.strictSame(response, errored(podUid));
  });

  t.test('a Pod mutate of a labelled pod needs no cluster state', async (t) => {
    const { response, record } = await run(t, 'mutate', deploymentPod({ tier: 'ui' }), { cluster: unavailableCluster() });
    t.strictSame(response, { uid: podUid, allowed: true }, 'allowed unpatched: the label is the pod\'s own');
    t.equal(record.decision, 'allowed');
    t.strictSame(record.reasons, ['tier=ui from label'], 'the audit record keeps the source');
    t.equal(record.patch, undefined);
    t.equal(record.mode, 'enforce', 'the config mode, since the namespace cannot be read');
  });

  t.test('a Namespace validate still decides: refused without a profile', async (t) => {
    const request = loadReview('namespace-create').request;
    const { response, record } = await run(t, 'validate', request, { cluster: unavailableCluster() });
    t.strictSame(response, {
      uid: request.uid,
      allowed: false,
      status: {
        code: 403,
        reason: 'Forbidden',
        message:
          'NS-DEFAULT-DENY: namespace "products-prod" has no netpol-hygiene.io/profile label, so it would have no default-deny NetworkPolicy; set label netpol-hygiene.io/profile=<seed, seed-prod>',
      },
    });
    t.equal(record.code, 403);
  });

  t.test('a Namespace validate still decides: allowed with a profile', async (t) => {
    const request = loadReview('namespace-create').request;
    const object = structuredClone(request.object) as { metadata: { labels: Record<string, string> } };
    object.metadata.labels['netpol-hygiene.io/profile'] = 'seed';
    const { response, record } = await run(t, 'validate', { ...request, object }, { cluster: unavailableCluster() });
    t.strictSame(response, { uid: request.uid, allowed: true });
    t.equal(record.decision, 'allowed');
  });

  t.test('a Namespace mutate still patches', async (t) => {
    const request = loadReview('namespace-create').request;
    const { response } = await run(t, 'mutate', request, { cluster: unavailableCluster() });
    t.strictSame(decodePatch(response), [{ op: 'add', path: '/metadata/labels/netpol-hygiene.io~1profile', value: 'seed' }]);
  });

  t.test('NP-GUARD: an admin is allowed, an ordinary user fails closed', async (t) => {
    const request = loadReview('networkpolicy-delete').request;
    const admin = await run(t, 'validate', { ...request, userInfo: users.admin }, { cluster: unavailableCluster() });
    t.strictSame(admin.response, { uid: request.uid, allowed: true });
    const developer = await run(t, 'validate', request, { cluster: unavailableCluster() });
    t.strictSame(developer.response, errored(request.uid));
  });
});

t.test('an exception inside a rule is a 500 response, never a rejection', async (t) => {
  const broken: ClusterState = {
    namespace: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'metadata')");
    },
    networkPolicies: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'items')");
    },
  };
  const { response, record } = await run(t, 'validate', deploymentPod({ tier: 'ui' }), { cluster: broken });
  const message = "netpol-hygiene: internal error while deciding, refused to stay safe: Cannot read properties of undefined (reading 'items')";
  t.strictSame(response, { uid: podUid, allowed: false, status: { code: 500, reason: 'InternalError', message } });
  t.equal(record.decision, 'denied');
  t.equal(record.code, 500);
  t.equal(record.message, message);

  const bare = admissionRequest('Namespace', { name: 'scratch', object: { apiVersion: 'v1', kind: 'Namespace' } });
  const patchedBare = await run(t, 'mutate', bare);
  t.strictSame(decodePatch(patchedBare.response), [{ op: 'add', path: '/metadata', value: { labels: { 'netpol-hygiene.io/profile': 'seed' } } }], 'a Namespace without metadata still gets its profile');
});

t.test('patches travel base64-encoded with patchType JSONPatch', async (t) => {
  const podRules = configWith({ tierRules: [{ name: 'web-frontends', tier: 'ui', match: { images: ['*/nginx:*'] } }] });
  const { response, record } = await run(t, 'mutate', deploymentPod(), { config: podRules });
  const patch = [
    { op: 'add', path: '/metadata/labels/tier', value: 'ui' },
    { op: 'add', path: '/metadata/annotations/netpol-hygiene.io~1tier-source', value: 'rule:web-frontends' },
  ];
  t.strictSame(response, { uid: podUid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
  t.strictSame(decodePatch(response), patch);
  t.strictSame(record.patch, patch);
  t.strictSame(record.rules, ['POD-TIER']);
  t.strictSame(record.reasons, ['tier=ui from rule:web-frontends']);
  t.equal(record.decision, 'patched');

  const nothingToDo = await run(t, 'mutate', deploymentPod(), {});
  t.strictSame(nothingToDo.response, { uid: podUid, allowed: true }, 'no patch, no patchType');
  t.equal(nothingToDo.record.decision, 'allowed');
});

t.test('kinds without a rule on a webhook are allowed', async (t) => {
  const cases: readonly [WebhookPath, AdmissionRequest][] = [
    ['validate', admissionRequest('ConfigMap', { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } } })],
    ['mutate', { ...loadReview('networkpolicy-delete').request }],
  ];
  for (const [webhook, request] of cases) {
    const { response, record } = await run(t, webhook, request);
    t.strictSame(response, { uid: request.uid, allowed: true }, `${request.kind.kind} on ${webhook}`);
    t.equal(record.decision, 'allowed');
    t.strictSame(record.rules, []);
  }
});

t.test('the audit record carries the DESIGN.md fields', async (t) => {
  t.test('a denied Pod from a Deployment', async (t) => {
    const { record } = await run(t, 'validate', deploymentPod());
    t.strictSame(record, {
      event: 'admission',
      webhook: 'validate',
      uid: podUid,
      operation: 'CREATE',
      kind: 'Pod',
      namespace: 'products-prod',
      name: 'web-7f9c8d6b5-*',
      user: 'system:serviceaccount:kube-system:replicaset-controller',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      dryRun: false,
      mode: 'enforce',
      decision: 'denied',
      code: 403,
      rules: ['POD-TIER'],
      message: noTierMessage,
      reasons: undefined,
      patch: undefined,
      latencyMs: 0,
    });
  });

  t.test('a patched Namespace', async (t) => {
    const request = loadReview('namespace-create').request;
    const { record } = await run(t, 'mutate', request);
    t.strictSame(record, {
      event: 'admission',
      webhook: 'mutate',
      uid: request.uid,
      operation: 'CREATE',
      kind: 'Namespace',
      namespace: 'products-prod',
      name: 'products-prod',
      user: 'jane@example.com',
      groups: ['developers', 'system:authenticated'],
      dryRun: false,
      mode: 'enforce',
      decision: 'patched',
      code: 200,
      rules: ['NS-DEFAULT-DENY'],
      message: undefined,
      reasons: ['netpol-hygiene.io/profile=seed (the default profile)'],
      patch: [{ op: 'add', path: '/metadata/labels/netpol-hygiene.io~1profile', value: 'seed' }],
      latencyMs: 0,
    });
  });

  t.test('a denied NetworkPolicy DELETE (object null) is named from the request', async (t) => {
    const request = loadReview('networkpolicy-delete').request;
    const { response, record } = await run(t, 'validate', request);
    const message =
      'NP-GUARD: NetworkPolicy "default-deny" in namespace "products-prod" is part of the netpol-hygiene baseline (profile "seed"); user "jane@example.com" may not delete it; change the profile in the netpol-hygiene config, or ask a member of system:masters';
    t.strictSame(response, { uid: request.uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } });
    t.strictSame(record, {
      event: 'admission',
      webhook: 'validate',
      uid: request.uid,
      operation: 'DELETE',
      kind: 'NetworkPolicy',
      namespace: 'products-prod',
      name: 'default-deny',
      user: 'jane@example.com',
      groups: ['developers', 'system:authenticated'],
      dryRun: false,
      mode: 'enforce',
      decision: 'denied',
      code: 403,
      rules: ['NP-GUARD'],
      message,
      reasons: undefined,
      patch: undefined,
      latencyMs: 0,
    });
  });

  t.test('an exempt request by a user without groups', async (t) => {
    const userInfo: UserInfo = { username: 'system:kube-scheduler' };
    const request = { ...deploymentPod(), namespace: 'kube-system', userInfo };
    const { record } = await run(t, 'validate', request);
    t.strictSame(record, {
      event: 'admission',
      webhook: 'validate',
      uid: podUid,
      operation: 'CREATE',
      kind: 'Pod',
      namespace: 'kube-system',
      name: 'web-7f9c8d6b5-*',
      user: 'system:kube-scheduler',
      groups: [],
      dryRun: false,
      mode: 'enforce',
      decision: 'exempt',
      code: 200,
      rules: [],
      message: 'namespace "kube-system" is exempt',
      reasons: undefined,
      patch: undefined,
      latencyMs: 0,
    });
  });
});
