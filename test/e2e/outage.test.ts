/**
 * The outage drill, through the real control plane: kube-apiserver is stopped for longer than
 * the Lease and than the caches' 30 s, etcd is restarted meanwhile, and a managed policy is
 * deleted behind the webhook's back (straight from etcd), while two replicas keep running.
 * What users rely on: the leader steps down and says so; /readyz names the stale cache;
 * decisions that need cluster state fail closed with the documented message while those that
 * need none still answer; after recovery the caches resync, one replica leads, the deleted
 * policy is back, and every decision has its audit record. What it shows: docs/outage.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type ControlPlane, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { kubectlOk, policyNames } from '../../harness/kubectl.ts';
import { type Webhook, type WebhookLine, registerWebhooks, startWebhook } from '../../harness/webhook.ts';
import type { AdmissionResponse, AdmissionReview } from '../../src/kube/admission-review.ts';
import { loadReview } from '../fixtures/load.ts';

const leaseSeconds = 4;
const baselineNames = ['allow-business-to-db', 'allow-cluster-egress', 'allow-dns', 'allow-ingress-to-ui', 'allow-ui-to-business', 'default-deny'];
/** How long a busy machine may take for anything the drill waits on. */
const generous = 180_000;

let cp: ControlPlane;
let configDir: string;
const replicas: Webhook[] = [];
/** Every AdmissionReview the drill sent a replica itself, by uid. */
const sent = new Map<string, Webhook>();

t.before(async () => {
  cp = await startControlPlane();
  configDir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-e2e-outage-'));
  const config = join(configDir, 'config.yaml');
  writeFileSync(config, `reconcile:\n  leaseDurationSeconds: ${leaseSeconds}\n  resyncSeconds: 3600\n`);
  await kubectlOk(cp, ['create', 'namespace', 'products-prod']);
  replicas.push(await startWebhook(cp, { configPath: config, env: { POD_NAME: 'replica-a' } }));
  await waitFor('replica-a to lead', generous, [], async () => (await leaseHolder()) === 'replica-a');
  replicas.push(await startWebhook(cp, { configPath: config, env: { POD_NAME: 'replica-b' } }));
  await registerWebhooks(cp, replicas[0]!);
  await waitFor('the baseline of products-prod', generous, [], async () => (await policyNames(cp, 'products-prod')).length === 6);
});

t.teardown(async () => {
  for (const replica of replicas) await replica.stop();
  await cp?.stop();
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
});

async function leaseHolder(): Promise<string> {
  const result = await cp.kubectl(['get', 'lease', 'netpol-hygiene-reconciler', '-n', 'netpol-hygiene', '-o', 'jsonpath={.spec.holderIdentity}']);
  return result.code === 0 ? result.stdout : '';
}

/** A review of the fixture with a fresh uid, sent to the replica as the API server would. */
async function review(replica: Webhook, path: '/mutate' | '/validate', fixture: AdmissionReview): Promise<AdmissionResponse | undefined> {
  const uid = randomUUID();
  sent.set(uid, replica);
  const body = { ...fixture, request: { ...fixture.request, uid } };
  const answer = await replica.request('POST', path, body);
  if (answer.status !== 200) throw new Error(`${path}: HTTP ${answer.status}: ${answer.body}`);
  return (answer.json as { response?: AdmissionResponse }).response;
}

/** A pod that carries its tier: admitting it needs to know that its namespace has a default-deny. */
function labelledPod(): AdmissionReview {
  const pod = loadReview('pod-from-deployment');
  const object = pod.request.object as { metadata: { labels: Record<string, string> } };
  object.metadata.labels.tier = 'ui';
  return pod;
}

const isLine = (line: WebhookLine, msg: string): boolean => typeof line === 'object' && line.msg === msg;

async function leads(replica: Webhook): Promise<boolean> {
  const metrics = await replica.request('GET', '/metrics');
  return /^netpol_hygiene_reconciler_leader 1$/m.test(metrics.body);
}

/** The replica the Lease names, once one does and that one says it leads. */
async function currentLeader(): Promise<Webhook> {
  let leader: Webhook | undefined;
  await waitFor('a replica to lead', generous, [], async () => {
    leader = ({ 'replica-a': replicas[0], 'replica-b': replicas[1] } as Record<string, Webhook | undefined>)[await leaseHolder()];
    return leader !== undefined && (await leads(leader));
  });
  return leader as Webhook;
}

/** Resolves once the replica logs `msg` one more time than it had so far. */
function nextLine(replica: Webhook, msg: string): Promise<unknown> {
  const seen = replica.lines().filter((l) => isLine(l, msg)).length;
  return replica.waitForLine(() => replica.lines().filter((l) => isLine(l, msg)).length > seen, generous);
}

t.test('before the outage the pod is admitted: its namespace has its baseline', async (t) => {
  const answer = await review(replicas[0]!, '/validate', labelledPod());
  t.equal(answer?.allowed, true);
});

t.test('kube-apiserver hung (SIGSTOP) for longer than the lease: the leader steps down; decisions still answer from fresh caches', async (t) => {
  const leader = await currentLeader();
  const steppedDown = nextLine(leader, 'could not renew the lease in time; stepping down');
  cp.pauseComponent('kube-apiserver');
  t.teardown(() => cp.resumeComponent('kube-apiserver'));
  await steppedDown;
  t.equal(await leads(leader), false, 'the leader stepped down while its renewals hung, and says so in its log and its metrics');
  // A silent watch looks like an idle one until its 90 s run out: the caches still answer meanwhile.
  t.equal((await review(replicas[0]!, '/validate', labelledPod()))?.allowed, true, 'the pod is still admitted from the caches');
  cp.resumeComponent('kube-apiserver');
  t.ok(await currentLeader(), 'once it answers again, a replica leads');
});

t.test('kube-apiserver gone for longer than the lease and the caches, etcd restarted meanwhile', async (t) => {
  const [a, b] = replicas as [Webhook, Webhook];
  const leader = await currentLeader();
  const steppedDown = nextLine(leader, 'could not renew the lease in time; stepping down');
  const noLonger = nextLine(leader, 'no longer the leader');
  await cp.stopComponent('kube-apiserver');
  t.teardown(async () => {
    // Whatever failed above, the later tests and the teardown need a whole control plane.
    for (const component of ['etcd', 'kube-apiserver'] as const) await cp.startComponent(component).catch(() => {});
  });

  await steppedDown;
  await noLonger;
  t.same([await leads(a), await leads(b)], [false, false], 'the leader stepped down and says so in its log and its metrics; the other cannot take over a Lease it cannot reach');

  let readyz = await a.request('GET', '/readyz');
  await waitFor('/readyz to name the stale cache', generous, [], async () => {
    readyz = await a.request('GET', '/readyz');
    return readyz.status === 503;
  });
  t.match(readyz.json, { status: 'not ready', reason: /^(namespaces|networkpolicies) cache lost the API server \d+s ago: / }, '/readyz names the cache and how long it has been without the API server');

  const refused = await review(a, '/validate', labelledPod());
  t.equal(refused?.allowed, false);
  t.equal(refused?.status?.code, 500);
  t.match(
    refused?.status?.message,
    /^netpol-hygiene: cluster state is unavailable \((namespaces|networkpolicies) cache lost the API server \d+s ago: .+\); the decision needs it, so the request is refused until the API server can be read again$/,
    'a decision that needs cluster state fails closed, with the documented message',
  );
  const namespace = loadReview('namespace-create');
  const mutated = await review(a, '/mutate', namespace);
  t.same(JSON.parse(Buffer.from(mutated?.patch ?? '', 'base64').toString('utf8')), [{ op: 'add', path: '/metadata/labels/netpol-hygiene.io~1profile', value: 'seed' }], 'one that needs none still answers');
  const refusedNamespace = await review(a, '/validate', namespace);
  t.match(refusedNamespace?.status, { code: 403, message: /^NS-DEFAULT-DENY: namespace "products-prod" has no netpol-hygiene.io\/profile label/ }, 'and still refuses what it can judge alone');

  // Deleted behind the webhook's back: no API server to watch it through.
  const key = Buffer.from('/registry/networkpolicies/products-prod/allow-dns').toString('base64');
  const deleted = await fetch(`${cp.etcdUrl}/v3/kv/deleterange`, { method: 'POST', body: JSON.stringify({ key }) });
  t.match(await deleted.json(), { deleted: '1' }, 'allow-dns deleted straight from etcd');
  await cp.stopComponent('etcd');
  await cp.startComponent('etcd');
  await cp.startComponent('kube-apiserver');
});

t.test('after recovery: caches resync, one replica leads, the deleted policy is back, no audit record is lost', async (t) => {
  const [a, b] = replicas as [Webhook, Webhook];
  for (const replica of replicas) {
    await waitFor(`${replica.logPath}: /readyz`, generous, [], async () => (await replica.request('GET', '/readyz')).status === 200);
  }
  t.pass('both replicas resynced their caches');
  const leader = await currentLeader();
  const holder = await leaseHolder();
  t.same([await leads(a), await leads(b)], [leader === a, leader === b], `exactly one replica leads: ${holder}, the Lease holder`);

  await waitFor('allow-dns re-created', generous, [], async () => (await policyNames(cp, 'products-prod')).includes('allow-dns'));
  t.same(await policyNames(cp, 'products-prod'), baselineNames, 'the baseline is whole again');
  const repair = await leader.auditRecord((r) => r.event === 'repair' && r.namespace === 'products-prod' && JSON.stringify(r.policies) === '["allow-dns"]', generous);
  t.match(repair, { action: 'apply-baseline', message: /^applied baseline policies allow-dns to namespace "products-prod" \(.+\)$/ }, `repaired by ${holder}, and recorded`);
  t.comment(`repair trigger: ${String(repair.trigger)}`);
  t.equal((await review(a, '/validate', labelledPod()))?.allowed, true, 'the pod is admitted again');

  for (const [uid, replica] of sent) {
    await replica.auditRecord((r) => r.uid === uid, generous);
  }
  const records = replicas.flatMap((replica) => replica.auditRecords().filter((r) => r.event === 'admission'));
  for (const uid of sent.keys()) t.equal(records.filter((r) => r.uid === uid).length, 1, `one audit record for review ${uid}`);
  for (const replica of replicas) {
    const metrics = (await replica.request('GET', '/metrics')).body;
    const total = (name: string): number => [...metrics.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
    const written = total('netpol_hygiene_audit_records_written_total');
    t.equal(total('netpol_hygiene_audit_records_dropped_total'), 0, `${replica.logPath}: no audit record dropped`);
    // The writer carries the operational log too: every line it counts as written must have arrived.
    await waitFor(`${replica.logPath}: the ${written} lines written to reach stdout`, generous, [], async () => replica.lines().length >= written).catch(() => {});
    t.ok(replica.lines().length >= written, `${replica.logPath}: every line the stdout writer counts as written, audit records included, arrived (${written})`);
  }
});
