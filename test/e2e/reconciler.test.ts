/**
 * The cluster side through a real kube-apiserver: backfill of namespaces that predate the
 * webhook, baseline on namespace creation, re-creation and restoration of managed policies,
 * convergence to a changed profile, and Lease leader election across two replicas.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type ControlPlane, type KubectlOptions, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { kubectlOk as kubectlAt, policyNames as policiesAt } from '../../harness/kubectl.ts';
import { type Webhook, registerWebhooks, startWebhook } from '../../harness/webhook.ts';

const baselineNames = ['allow-business-to-db', 'allow-cluster-egress', 'allow-dns', 'allow-ingress-to-ui', 'allow-ui-to-business', 'default-deny'];
const leaseSeconds = 4;

let cp: ControlPlane;
const replicas: Webhook[] = [];
let configDir: string;

const kubectlOk = (args: string[], options: KubectlOptions = {}): Promise<string> => kubectlAt(cp, args, options);

const policyNames = (namespace: string): Promise<string[]> => policiesAt(cp, namespace);

/** Polls every 50 ms; returns how long it took. */
async function within(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  await waitFor(what, timeoutMs, [], check, 50);
  return Math.round(performance.now() - started);
}

function writeConfig(name: string, uiPort: number, clusterEgress = true): string {
  const path = join(configDir, name);
  writeFileSync(
    path,
    [
      'reconcile:',
      `  leaseDurationSeconds: ${leaseSeconds}`,
      '  resyncSeconds: 3600',
      'profiles:',
      '  seed:',
      `    allowClusterEgress: ${clusterEgress}`,
      '    tiers:',
      `      - { tier: ui, policyName: allow-ingress-to-ui, port: ${uiPort}, from: anywhere }`,
      '      - { tier: business, policyName: allow-ui-to-business, port: 8081, from: [{ tier: ui }] }',
      '      - { tier: db, policyName: allow-business-to-db, port: 8082, from: [{ tier: business }] }',
      '',
    ].join('\n'),
  );
  return path;
}

async function startReplica(name: string, configPath: string): Promise<Webhook> {
  const replica = await startWebhook(cp, { configPath, env: { POD_NAME: name } });
  replicas.push(replica);
  return replica;
}

async function leaseHolder(): Promise<string> {
  return (await lease()).holderIdentity;
}

async function lease(): Promise<{ holderIdentity: string; renewTime: string; acquireTime: string }> {
  return (JSON.parse(await kubectlOk(['get', 'lease', 'netpol-hygiene-reconciler', '-n', 'netpol-hygiene', '-o', 'json'])) as { spec: { holderIdentity: string; renewTime: string; acquireTime: string } }).spec;
}

t.before(async () => {
  cp = await startControlPlane();
  configDir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-e2e-reconciler-'));
  // Installed into a cluster that already has workloads.
  await kubectlOk(['create', 'namespace', 'legacy-a']);
  await kubectlOk(['create', 'namespace', 'legacy-b']);
});

t.teardown(async () => {
  for (const replica of replicas) await replica.stop();
  await cp?.stop();
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
});

t.test('namespaces that existed before start-up are backfilled, with one summary record', async (t) => {
  const first = await startReplica('replica-a', writeConfig('v1.yaml', 8080));
  await registerWebhooks(cp, first);
  const took = await within('legacy namespaces to get their baseline', 60_000, async () => (await policyNames('legacy-b')).length === 6);
  t.same(await policyNames('legacy-a'), baselineNames);
  t.same(await policyNames('legacy-b'), baselineNames);
  t.comment(`backfill visible ${took} ms after registration`);
  await first.auditRecord((r) => r.action === 'backfill');
  const summaries = first.auditRecords().filter((r) => r.action === 'backfill');
  t.same(summaries.map((r) => r.message), ['start-up backfill: applied the baseline to 3 existing namespace(s): default, legacy-a, legacy-b']);
  t.same(await policyNames('kube-system'), [], 'exempt namespaces are left alone');
});

t.test('a new namespace gets its baseline and an Event', async (t) => {
  const started = performance.now();
  await kubectlOk(['create', 'namespace', 'products-stage']);
  await within('products-stage baseline', 60_000, async () => (await policyNames('products-stage')).length === 6);
  const latency = Math.round(performance.now() - started);
  t.comment(`namespace created -> 6 baseline policies in ${latency} ms (including kubectl round trips)`);
  t.same(await policyNames('products-stage'), baselineNames);
  const events = JSON.parse(await kubectlOk(['get', 'events', '-n', 'default', '--field-selector', 'involvedObject.kind=Namespace,involvedObject.name=products-stage', '-o', 'json'])) as {
    items: { reason: string; message: string; source: { component: string } }[];
  };
  t.same(
    events.items.map((e) => [e.reason, e.source.component, e.message]),
    [['BaselineApplied', 'netpol-hygiene', 'applied baseline policies default-deny, allow-dns, allow-cluster-egress, allow-ingress-to-ui, allow-ui-to-business, allow-business-to-db to namespace "products-stage" (namespace created)']],
  );
});

t.test('a deleted managed policy is re-created; an edited one is restored', async (t) => {
  await kubectlOk(['delete', 'networkpolicy', 'allow-dns', '-n', 'products-stage']);
  const recreated = await within('allow-dns re-created', 60_000, async () => (await policyNames('products-stage')).includes('allow-dns'));
  t.comment(`deleted managed policy re-created after ${recreated} ms`);
  const repair = await replicas[0]!.auditRecord((r) => r.event === 'repair' && r.trigger === 'managed policy "allow-dns" was deleted');
  t.match(repair, { namespace: 'products-stage', action: 'apply-baseline', policies: ['allow-dns'] });

  await kubectlOk(['patch', 'networkpolicy', 'default-deny', '-n', 'products-stage', '--type=merge', '-p', '{"spec":{"policyTypes":["Ingress"],"ingress":[{}]}}']);
  const restored = await within('default-deny restored', 60_000, async () =>
    (await kubectlOk(['get', 'networkpolicy', 'default-deny', '-n', 'products-stage', '-o', 'jsonpath={.spec}'])) === '{"podSelector":{},"policyTypes":["Ingress","Egress"]}',
  );
  t.comment(`edited managed policy restored after ${restored} ms`);
  t.pass('default-deny is back to deny-all in both directions');
});

t.test('two replicas: exactly one reconciles; the other takes over when the leader is killed, never before its lease ran out', async (t) => {
  const [first] = replicas as [Webhook];
  const second = await startReplica('replica-b', writeConfig('v1-b.yaml', 8080));
  // Let a whole lease pass with both running: the leader keeps renewing, the other must not take over.
  const secondUpAt = Date.now();
  await within('a renewal more than a lease after the second replica started', 60_000, async () => Date.parse((await lease()).renewTime) > secondUpAt + leaseSeconds * 1000);
  t.equal(await leaseHolder(), 'replica-a');
  t.notOk(second.lines().some((l) => typeof l === 'object' && l.msg === 'became the leader: reconciling'), 'the second replica does not lead');
  process.kill(first.pid, 'SIGKILL');
  const killedAt = performance.now();
  // Read after the kill: a renewal still in flight could only make the real one later than this.
  const lastRenewal = Date.parse((await lease()).renewTime);
  await within('replica-b to take the lease', 120_000, async () => (await leaseHolder()) === 'replica-b');
  t.comment(`takeover ${Math.round(performance.now() - killedAt)} ms after SIGKILL of the leader (lease ${leaseSeconds} s)`);
  const taken = await lease();
  t.ok(Date.parse(taken.acquireTime) - lastRenewal > leaseSeconds * 1000, `taken over only once the old lease had run out (${Date.parse(taken.acquireTime) - lastRenewal} ms after its last renewal)`);
  await registerWebhooks(cp, second);
  await kubectlOk(['delete', 'networkpolicy', 'allow-ingress-to-ui', '-n', 'legacy-a']);
  await within('the new leader re-creates it', 60_000, async () => (await policyNames('legacy-a')).includes('allow-ingress-to-ui'));
  t.pass('the new leader reconciles');
});

t.test('a changed profile converges in existing namespaces', async (t) => {
  const current = replicas[1]!;
  await current.stop();
  const next = await startReplica('replica-c', writeConfig('v2.yaml', 9080, false));
  await registerWebhooks(cp, next);
  const port = async (ns: string) => kubectlOk(['get', 'networkpolicy', 'allow-ingress-to-ui', '-n', ns, '-o', 'jsonpath={.spec.ingress[0].ports[0].port}']);
  const took = await within('allow-ingress-to-ui moves to 9080 everywhere', 60_000, async () => (await port('legacy-a')) === '9080' && (await port('products-stage')) === '9080');
  t.comment(`profile change converged ${took} ms after the new configuration started`);
  t.equal(await port('legacy-b'), '9080');
  await within('allow-cluster-egress, dropped from the profile, removed', 60_000, async () => !(await policyNames('legacy-a')).includes('allow-cluster-egress'));
  t.same(await policyNames('products-stage'), baselineNames.filter((n) => n !== 'allow-cluster-egress'));
});

t.test('a deleted namespace finishes terminating', async (t) => {
  await kubectlOk(['delete', 'namespace', 'legacy-b', '--wait=true', '--timeout=90s']);
  t.equal((await cp.kubectl(['get', 'namespace', 'legacy-b'])).code, 1);
});
