// The project's image installed on a real node exactly as docs/install.md tells an admin (the
// self-signed overlay), then the operations an admin meets, measured: the leader pod deleted, a
// rolling update while pods are being created, both webhook pods gone. One node start serves
// all of it (a node start is the slow part). What runs and why: docs/real-node-install.md.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type ControlPlane, repoRoot, waitFor, startControlPlane } from '../../harness/control-plane.ts';
import { type BuiltImage, imageArchive } from '../../harness/image.ts';
import { kubectlOk as kubectlAt } from '../../harness/kubectl.ts';
import { type KubernetesServiceRelay, startKubernetesServiceRelay } from '../../harness/kubernetes-service.ts';
import { type Node, nodeControlPlaneOptions, startNode } from '../../harness/node/node.ts';
import { probeFrom, probeTarget } from '../../harness/node/probe.ts';
import { removeDirOnExit, runCommand } from '../../harness/processes.ts';

const NS = 'netpol-hygiene';
const DEPLOYMENT = 'deployment/netpol-hygiene';
const SELECTOR = 'app.kubernetes.io/name=netpol-hygiene,app.kubernetes.io/component=webhook';
const LEASE = 'netpol-hygiene-reconciler';
const nodeBin = join(repoRoot, 'node_modules/.bin/node');
const cli = join(repoRoot, 'src/cli/main.ts');
/** Pods the load generator creates are never scheduled: they cost the node nothing. */
const UNSCHEDULABLE = { 'netpol-hygiene.io/test': 'never-scheduled' };
/** Pod creates in flight at once during the rolling update. */
const CONCURRENT_CREATES = 4;

// A cold image build, a node start and a rollout on a busy two-core machine: generous.
t.setTimeout(90 * 60_000);

let cp: ControlPlane;
let node: Node | undefined;
let relay: KubernetesServiceRelay | undefined;
let image: BuiltImage;
let workDir: string | undefined;
let forgetWorkDir = (): void => {};
let baseline: string[];

const kubectlOk = (args: string[]): Promise<string> => kubectlAt(cp, args, { timeoutMs: 600_000 });
const log = (line: string): void => {
  t.comment(line);
};

t.before(async () => {
  image = await imageArchive();
  cp = await startControlPlane(
    nodeControlPlaneOptions({
      log,
      // The API server calls a webhook's Service by resolving it to a Ready endpoint (a pod IP it
      // routes to through the node's bridge), not through a ClusterIP: there is no kube-proxy.
      apiServerArgs: ['--enable-aggregator-routing=true'],
      // EndpointSlices for that resolution; the disruption controller makes the PodDisruptionBudget live.
      controllers: ['endpointslice-controller', 'disruption-controller'],
    }),
  );
  node = await startNode(cp, { log, images: [image.archive] });
  relay = await startKubernetesServiceRelay(cp);
  workDir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-node-install-'));
  // It will hold the CA's private key: gone however this process ends.
  forgetWorkDir = removeDirOnExit(workDir);
  // A copy, as an admin's checkout: certs/ is written into the overlay.
  cpSync(join(repoRoot, 'manifests'), join(workDir, 'manifests'), { recursive: true });
  baseline = await renderedPolicyNames();
});

// Each step even when the one before it fails: the node's host cleanup above all.
t.teardown(async () => {
  try {
    await relay?.stop();
  } finally {
    try {
      await node?.stop();
    } finally {
      await cp?.stop();
      if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
      forgetWorkDir();
    }
  }
});

interface Pod {
  metadata: { name: string; namespace: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { ready: boolean; restartCount: number; imageID: string; image: string; containerID?: string }[];
  };
}

/** The machine's 1-minute load average, printed beside every figure. */
const load = (): string => loadavg()[0]?.toFixed(1) ?? '?';

const isReady = (pod: Pod): boolean => pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function pods(namespace: string, selector?: string): Promise<Pod[]> {
  const args = ['get', 'pods', '-n', namespace, '-o', 'json', ...(selector === undefined ? [] : ['-l', selector])];
  return (JSON.parse(await kubectlOk(args)) as { items: Pod[] }).items;
}

/** Two Ready webhook pods and nothing else (no pod still terminating). */
async function twoReadyReplicas(): Promise<Pod[]> {
  let current: Pod[] = [];
  await waitFor('two Ready webhook pods and no other', 600_000, [], async () => {
    current = await pods(NS, SELECTOR);
    return current.length === 2 && current.every((p) => isReady(p) && p.metadata.deletionTimestamp === undefined);
  }, 500);
  return current;
}

async function leaseHolder(): Promise<string> {
  const res = await cp.api('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${LEASE}`);
  return res.status === 200 ? ((res.json as { spec?: { holderIdentity?: string } }).spec?.holderIdentity ?? '') : '';
}

/** What docs/install.md's `netpol-hygiene render` says a namespace gets. */
async function renderedPolicyNames(): Promise<string[]> {
  const rendered = await runCommand(nodeBin, [cli, 'render', '--namespace', 'any', '--config', join(repoRoot, 'manifests/base/config.yaml')]);
  if (rendered.code !== 0) throw new Error(`render: ${rendered.stderr}`);
  return [...rendered.stdout.matchAll(/^ {2}name: (\S+)$/gm)].map((m) => m[1] as string).sort();
}

async function policyNames(namespace: string): Promise<string[]> {
  const out = await kubectlOk(['get', 'networkpolicies', '-n', namespace, '-o', 'jsonpath={.items[*].metadata.name}']);
  return out.split(' ').filter((name) => name !== '').sort();
}

async function waitForBaseline(namespace: string): Promise<void> {
  await waitFor(`namespace ${namespace}'s complete baseline`, 300_000, [], async () => JSON.stringify(await policyNames(namespace)) === JSON.stringify(baseline), 100);
}

function unscheduledPod(name: string, tier?: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: tier === undefined ? {} : { tier } },
    spec: { nodeSelector: UNSCHEDULABLE, containers: [{ name: 'probe', image: node?.probeImage, imagePullPolicy: 'Never', args: ['serve', '8080'] }] },
  };
}

interface Attempt {
  readonly ok: boolean;
  readonly message: string;
}

/** One pod create through the API server (the webhooks decide); never throws. */
async function createPod(namespace: string, name: string, tier?: string): Promise<Attempt> {
  try {
    const res = await cp.api('POST', `/api/v1/namespaces/${namespace}/pods`, unscheduledPod(name, tier));
    return { ok: res.status === 201, message: res.status === 201 ? '' : `${res.status} ${(res.json as { message?: string } | undefined)?.message ?? res.body}` };
  } catch (error) {
    return { ok: false, message: `no answer: ${error instanceof Error ? error.message : String(error)}` };
  }
}

t.test('installed as docs/install.md says: two Ready replicas of the built image, webhooks through the Service, one Lease holder', async (t) => {
  const overlay = join(workDir as string, 'manifests/overlays/self-signed');
  // docs/install.md, "2 b) Self-signed, without cert-manager" (the CLI in place of `docker run` of the image).
  const certs = await runCommand(nodeBin, [
    cli, 'certs', '--out-dir', join(overlay, 'certs'),
    '--dns', 'netpol-hygiene.netpol-hygiene.svc', '--dns', 'netpol-hygiene.netpol-hygiene.svc.cluster.local',
  ]);
  t.equal(certs.code, 0, `certs: ${certs.stderr}`);
  const started = performance.now();
  t.match(await kubectlOk(['apply', '-k', overlay]), /deployment\.apps\/netpol-hygiene created/);
  // The guide's --timeout=180s, longer: the machine is shared and slow.
  const rollout = await kubectlOk(['-n', NS, 'rollout', 'status', DEPLOYMENT, '--timeout=600s']);
  t.match(rollout, /successfully rolled out/);
  const webhookPods = await twoReadyReplicas();
  t.comment(`install (load ${load()}): kubectl apply -k to two Ready replicas in ${Math.round(performance.now() - started)}ms`);

  for (const pod of webhookPods) {
    const [container] = pod.status.containerStatuses ?? [];
    t.equal(pod.status.phase, 'Running', `${pod.metadata.name} runs`);
    t.equal(pod.spec.nodeName, node?.name, `${pod.metadata.name} runs on the real node`);
    t.ok(container?.ready, `${pod.metadata.name}: the kubelet's readiness probe (/readyz over HTTPS) passed`);
    t.equal(container?.restartCount, 0, `${pod.metadata.name}: the liveness probe never restarted it`);
    t.equal(container?.imageID.replace(/^.*sha256:/, ''), image.id.replace(/^sha256:/, ''), `${pod.metadata.name} runs the image built from the Dockerfile`);
  }

  // "Check": the webhooks answer through the Service.
  const caBundle = readFileSync(join(overlay, 'certs/ca.crt')).toString('base64');
  for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
    const config = JSON.parse(await kubectlOk(['get', kind, 'netpol-hygiene', '-o', 'json'])) as {
      webhooks: { clientConfig: { caBundle: string; service: { namespace: string; name: string; port: number } } }[];
    };
    t.ok(
      config.webhooks.every((w) => w.clientConfig.caBundle === caBundle && w.clientConfig.service.namespace === NS && w.clientConfig.service.name === 'netpol-hygiene' && w.clientConfig.service.port === 443),
      `${kind}: every webhook calls the Service netpol-hygiene/netpol-hygiene:443 and trusts the generated CA`,
    );
  }
  await kubectlOk(['create', 'namespace', 'demo']);
  t.match(await kubectlOk(['get', 'namespace', 'demo', '--show-labels']), /netpol-hygiene\.io\/profile=seed/, 'the namespace got its profile label');
  await waitForBaseline('demo');
  t.strictSame(await policyNames('demo'), baseline, 'demo has exactly the baseline `render` shows');
  // The guide runs nginx; no image can be pulled here, so the node's probe image stands in.
  const probe = [`--image=${node?.probeImage}`, '--image-pull-policy=Never'];
  t.equal(await kubectlOk(['-n', 'demo', 'run', 'web', ...probe, '--labels=tier=ui', '--', 'serve', '8080']), 'pod/web created\n');
  const denial =
    'admission webhook "validate-pods.netpol-hygiene.io" denied the request: POD-TIER: pod "anon" in namespace "demo" has no "tier" label and no rule matched; ' +
    'set label tier=<ui|business|db>, or annotation netpol-hygiene.io/tier, or a default tier on the namespace\n';
  const anon = await cp.kubectl(['-n', 'demo', 'run', 'anon', ...probe, '--', 'serve', '8080']);
  t.equal(anon.stderr, `Error from server (Forbidden): ${denial}`, 'a pod without a tier is refused with POD-TIER\'s message');
  const dryRun = await cp.kubectl(['-n', 'demo', 'run', 'anon', ...probe, '--dry-run=server', '--', 'serve', '8080']);
  t.equal(dryRun.stderr, `Error from server (Forbidden): ${denial}`, 'the same decision on a server-side dry run');
  await waitFor('web Running in demo', 300_000, [], async () => (await pods('demo')).some((p) => p.metadata.name === 'web' && isReady(p)));

  // The decision was a webhook pod's: its audit record is in the Deployment's logs.
  await waitFor('the audit record of the refused pod in a webhook pod\'s log', 60_000, [], async () => {
    const logs = await kubectlOk(['-n', NS, 'logs', '-l', SELECTOR, '--tail=-1']);
    return logs.split('\n').some((line) => line.includes('"name":"anon"') && line.includes('"decision":"denied"'));
  });
  t.ok((relay?.connections() ?? 0) > 0, 'the webhook pods reached the API server through the kubernetes Service');
  let holder = '';
  await waitFor('the Lease held', 120_000, [], async () => (holder = await leaseHolder()) !== '');
  t.ok(webhookPods.some((p) => p.metadata.name === holder), `the Lease ${LEASE} is held by one of the two pods (${holder})`);

  // The installation's own NetworkPolicy on a real enforcer: the webhook pods may reach the API
  // server (443) and DNS, nothing else, although web listens on 8080 and its allow-ingress-to-ui
  // admits anyone there (the host reaches it: kube-router lets the node itself reach every pod).
  const webIp = (await pods('demo')).find((p) => p.metadata.name === 'web')?.status.podIP as string;
  t.equal(await connectFrom(undefined, webIp, 8080), 'open', 'web listens on 8080 (the host reaches it)');
  t.equal(await connectFrom(holder, webIp, 8080), 'ECONNREFUSED', 'a webhook pod does not: its NetworkPolicy allows no such egress');
  const [serviceIp, servicePort] = (relay?.address ?? '').split(':') as [string, string];
  t.equal(await connectFrom(holder, serviceIp, Number(servicePort)), 'open', 'it reaches the API server at the kubernetes Service');
  await kubectlOk(['delete', 'namespace', 'demo']);
});

const connectScript = `const [host, port] = process.argv.slice(1);
const socket = require('node:net').connect(Number(port), host);
socket.setTimeout(5000);
const done = (what) => { console.log(what); process.exit(0); };
socket.on('connect', () => done('open')).on('error', (e) => done(e.code)).on('timeout', () => done('timeout'));`;

/** 'open', 'timeout' or the error code of one TCP connect, from a webhook pod (with the image's node) or the host. */
async function connectFrom(webhookPod: string | undefined, host: string, port: number): Promise<string> {
  if (webhookPod !== undefined) return (await kubectlOk(['-n', NS, 'exec', webhookPod, '--', 'node', '-e', connectScript, host, String(port)])).trim();
  const result = await runCommand(nodeBin, ['-e', connectScript, host, String(port)]);
  return result.stdout.trim();
}

t.test('the leader pod deleted: another replica takes the Lease and a new namespace gets its baseline', async (t) => {
  // Graceful: the namespace is created at once, while the old leader drains (it still leads and
  // reconciles). Forced: once the old leader's container has stopped, so nobody leads until
  // the Lease expires: the worst case, a crashed leader.
  for (const how of [
    { name: 'kubectl delete pod (graceful)', namespace: 'after-leader-graceful', args: [], createWhenStopped: false },
    { name: 'kubectl delete pod --grace-period=0 --force (crash-like)', namespace: 'after-leader-forced', args: ['--grace-period=0', '--force'], createWhenStopped: true },
  ]) {
    const before = await twoReadyReplicas();
    const holder = await leaseHolder();
    const leader = before.find((p) => p.metadata.name === holder);
    t.ok(leader !== undefined, `${how.name}: ${holder}, one of the two, leads`);
    const container = leader?.status.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, '') ?? '';
    const started = performance.now();
    await kubectlOk(['-n', NS, 'delete', 'pod', holder, '--wait=false', ...how.args]);
    let newHolder = '';
    const lease = waitFor('another holder of the Lease', 300_000, [], async () => ![holder, ''].includes((newHolder = await leaseHolder())), 100).then(() => performance.now() - started);
    if (how.createWhenStopped) await waitFor(`${holder}'s container stopped`, 120_000, [], async () => !(await runningTasks()).includes(container), 100);
    const created = performance.now();
    await kubectlOk(['create', 'namespace', how.namespace]);
    if (how.createWhenStopped) {
      // Nobody reconciles now, yet a pod is never admitted unprotected: POD-PROTECTED applies the baseline first.
      await kubectlOk(['create', 'namespace', `${how.namespace}-pod`]);
      t.strictSame(await createPod(`${how.namespace}-pod`, 'first', 'ui'), { ok: true, message: '' }, `${how.name}: a pod created while nobody leads is admitted`);
      t.strictSame(await policyNames(`${how.namespace}-pod`), baseline, `${how.name}: ... and its namespace had the complete baseline by then`);
      t.comment(`${how.name}: that pod was admitted while ${(await leaseHolder()) === holder ? 'the dead leader still held the Lease' : 'another replica already led'}`);
    }
    const [leaseMs, baselineMs] = await Promise.all([lease, waitForBaseline(how.namespace).then(() => performance.now() - created)]);
    const after = (await twoReadyReplicas()).map((p) => p.metadata.name);
    t.ok(after.includes(newHolder), `${how.name}: another replica took the Lease (${newHolder === before.find((p) => p !== leader)?.metadata.name ? 'the survivor' : 'the replacement'})`);
    t.strictSame(await policyNames(how.namespace), baseline, `${how.name}: the namespace created meanwhile has its complete baseline`);
    t.comment(
      `leader deleted, ${how.name}: Lease taken ${Math.round(leaseMs)}ms after the delete; ${how.namespace}, created ${Math.round(created - started)}ms after the delete, ` +
        `had its complete baseline ${Math.round(baselineMs)}ms after its creation (load ${load()})`,
    );
  }
});

/** The ids of the node's running containers. */
async function runningTasks(): Promise<string[]> {
  const listed = await node?.ctr(['tasks', 'ls']);
  return (listed?.stdout ?? '').split('\n').filter((line) => /\bRUNNING\b/.test(line)).map((line) => line.split(/\s+/)[0] as string);
}

t.test('a rolling update while pods are being created in a governed namespace refuses none of them', async (t) => {
  await kubectlOk(['create', 'namespace', 'rollout-load']);
  await waitForBaseline('rollout-load');
  const before = (await twoReadyReplicas()).map((p) => p.metadata.name);
  const refused: string[] = [];
  let created = 0;
  let done = false;
  // Several clients at once, as controllers and users are: requests overlap the moment a pod
  // starts draining or a connection to it closes.
  const generators = Array.from({ length: CONCURRENT_CREATES }, async (_, client) => {
    for (let i = 0; !done; i += 1) {
      const attempt = await createPod('rollout-load', `load-${client}-${i}`, 'business');
      if (attempt.ok) created += 1;
      else refused.push(attempt.message);
    }
  });
  await waitFor('the load running', 120_000, [], async () => created + refused.length >= 5);
  const started = performance.now();
  const createdBefore = created;
  await kubectlOk(['-n', NS, 'rollout', 'restart', DEPLOYMENT]);
  await kubectlOk(['-n', NS, 'rollout', 'status', DEPLOYMENT, '--timeout=600s']);
  // Until both old pods are gone (their shutdown delay included), then a few more creates.
  const after = await twoReadyReplicas();
  const rolloutMs = performance.now() - started;
  const atEnd = created + refused.length;
  await waitFor('creates after the rollout', 120_000, [], async () => created + refused.length >= atEnd + 5);
  done = true;
  await Promise.all(generators);
  t.ok(after.every((p) => !before.includes(p.metadata.name)), 'both replicas were replaced');
  t.strictSame(refused, [], 'no pod create was refused during the rolling update');
  t.ok(created - createdBefore > 0, 'pods were created during it');
  t.comment(`rolling update (load ${load()}): ${Math.round(rolloutMs)}ms from rollout restart to both old pods gone; ${created} pods created by ${CONCURRENT_CREATES} concurrent clients (${created - createdBefore} from the restart on), ${refused.length} refused`);
  await kubectlOk(['delete', 'namespace', 'rollout-load', '--wait=false']);
});

t.test('both webhook pods gone: governed pod creates refused with a clear message, running traffic unaffected, recovery when they return', async (t) => {
  await kubectlOk(['create', 'namespace', 'traffic']);
  await waitForBaseline('traffic');
  const run = (name: string, tier: string, ports: string[]) =>
    kubectlOk(['-n', 'traffic', 'run', name, `--image=${node?.probeImage}`, '--image-pull-policy=Never', `--labels=tier=${tier}`, '--', 'serve', ...ports]);
  await run('ui', 'ui', ['8080']);
  await run('business', 'business', ['8080', '8081']);
  let business: Pod | undefined;
  await waitFor('ui and business Ready', 300_000, [], async () => {
    const current = await pods('traffic');
    business = current.find((p) => p.metadata.name === 'business');
    return current.length === 2 && current.every(isReady);
  });
  const ip = business?.status.podIP as string;
  const targets = [probeTarget(ip, 8081, 'TCP'), probeTarget(ip, 8080, 'TCP')];
  const traffic = async (): Promise<[string, boolean][]> => (await probeFrom(cp, { namespace: 'traffic', name: 'ui' }, targets)).map((r) => [r.target, r.ok]);
  const expected: [string, boolean][] = [[targets[0] as string, true], [targets[1] as string, false]];
  t.strictSame(await traffic(), expected, 'before: ui reaches business on 8081 (allow-ui-to-business), not on 8080 (default-deny)');

  const started = performance.now();
  await kubectlOk(['-n', NS, 'scale', DEPLOYMENT, '--replicas=0']);
  await waitFor('no webhook pod left', 300_000, [], async () => (await pods(NS, SELECTOR)).length === 0, 500);
  t.comment(`outage (load ${load()}): scale to 0 until no webhook pod in ${Math.round(performance.now() - started)}ms`);
  const refused = await cp.kubectl(['-n', 'traffic', 'run', 'late', `--image=${node?.probeImage}`, '--image-pull-policy=Never', '--labels=tier=ui', '--', 'serve', '8080']);
  t.equal(
    refused.stderr,
    'Error from server (InternalError): Internal error occurred: failed calling webhook "mutate-pods.netpol-hygiene.io": failed to call webhook: ' +
      'Post "https://netpol-hygiene.netpol-hygiene.svc:443/mutate?timeout=5s": no endpoints available for service "netpol-hygiene"\n',
    'a pod create in a governed namespace is refused, naming the webhook and the cause',
  );
  t.strictSame(await createPod('kube-system', 'exempt-during-outage'), { ok: true, message: '' }, 'kube-system is exempt: its pods are still admitted');
  t.strictSame(await traffic(), expected, 'during: running pods\' traffic is unaffected, allowed and denied alike');

  const scaled = performance.now();
  await kubectlOk(['-n', NS, 'scale', DEPLOYMENT, '--replicas=2']);
  let refusedDuringRecovery = 0;
  // Poll with real creates: the first admitted one is the end of the outage as users see it.
  for (let i = 0; !(await createPod('traffic', `recovered-${i}`, 'ui')).ok; i += 1) {
    refusedDuringRecovery += 1;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const firstAdmittedMs = performance.now() - scaled;
  await twoReadyReplicas();
  const bothReadyMs = performance.now() - scaled;
  t.strictSame(await traffic(), expected, 'after: the same traffic');
  t.comment(`recovery (load ${load()}): scale to 2 -> first pod admitted in ${Math.round(firstAdmittedMs)}ms (${refusedDuringRecovery} refused before), both replicas Ready in ${Math.round(bothReadyMs)}ms`);
});
