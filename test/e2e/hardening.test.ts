/**
 * The paths around the main resources, through a real kube-apiserver: labels changed through
 * subresources, the managed-by label claimed by a developer, and the API server proving who
 * it is with a client certificate (AdmissionConfiguration → WebhookAdmissionConfiguration
 * kubeConfigFile), which the webhook requires here with --client-ca.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createCertificateAuthority, issueCertificate } from '../../src/certs/authority.ts';
import { type ControlPlane, type KubectlOptions, startControlPlane, tlsRequest } from '../../harness/control-plane.ts';
import { kubectlOk as kubectlAt } from '../../harness/kubectl.ts';
import { freePorts } from '../../harness/processes.ts';
import { type Webhook, registerWebhooks, startWebhook } from '../../harness/webhook.ts';

const jane = { as: 'jane', asGroups: ['developers'] };

let cp: ControlPlane;
let webhook: Webhook;
let unlisted: Webhook;
let clientCaPath: string;

const kubectlOk = (args: string[], options: KubectlOptions = {}): Promise<string> => kubectlAt(cp, args, options);

function denial(webhookName: string, message: string, verb = 'error'): RegExp {
  const escaped = message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^Error from server \\(Forbidden\\): ${verb === 'error' ? '' : `${verb}.*`}.*admission webhook "${webhookName}" denied the request: ${escaped}\\n$`);
}

t.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-e2e-client-auth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [webhookPort, unlistedPort] = (await freePorts(2)) as [number, number];
  // The CA the webhook trusts for callers, and the API server's client certificate from it.
  const callers = await createCertificateAuthority('netpol-hygiene-e2e-webhook-callers', 7);
  const apiserverClient = await issueCertificate(callers, { commonName: 'kube-apiserver-webhook-client', usage: 'client', days: 7 });
  clientCaPath = join(dir, 'client-ca.crt');
  writeFileSync(clientCaPath, callers.certPem);
  // Only the first webhook's host:port gets the certificate: the second shows what happens without it.
  const webhookKubeconfig = join(dir, 'webhook-client.kubeconfig');
  writeFileSync(
    webhookKubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      users: [
        {
          name: `127.0.0.1:${webhookPort}`,
          user: {
            'client-certificate-data': Buffer.from(apiserverClient.certPem).toString('base64'),
            'client-key-data': Buffer.from(apiserverClient.keyPem).toString('base64'),
          },
        },
      ],
    }),
  );
  const admissionConfig = join(dir, 'admission.yaml');
  const webhookAdmission = { apiVersion: 'apiserver.config.k8s.io/v1', kind: 'WebhookAdmissionConfiguration', kubeConfigFile: webhookKubeconfig };
  writeFileSync(
    admissionConfig,
    JSON.stringify({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'AdmissionConfiguration',
      plugins: [
        { name: 'ValidatingAdmissionWebhook', configuration: webhookAdmission },
        { name: 'MutatingAdmissionWebhook', configuration: webhookAdmission },
      ],
    }),
  );
  cp = await startControlPlane({ apiServerArgs: [`--admission-control-config-file=${admissionConfig}`] });
  webhook = await startWebhook(cp, { port: webhookPort, extraArgs: ['--client-ca', clientCaPath] });
  await registerWebhooks(cp, webhook);
  unlisted = await startWebhook(cp, { port: unlistedPort, extraArgs: ['--client-ca', clientCaPath] });
  await kubectlOk(['create', 'clusterrolebinding', 'jane-edit', '--clusterrole=edit', '--user=jane']);
  // What operator service accounts commonly hold: the status subresources, and finalize.
  await kubectlOk(['create', 'clusterrole', 'status-writer', '--verb=get,patch,update', '--resource=namespaces/status,namespaces/finalize,pods/status,namespaces']);
  await kubectlOk(['create', 'clusterrolebinding', 'jane-status', '--clusterrole=status-writer', '--user=jane']);
  await kubectlOk(['create', 'namespace', 'team-s']);
  await kubectlOk(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db-0', namespace: 'team-s', labels: { tier: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres:17' }] } }),
  });
});

t.teardown(async () => {
  await unlisted?.stop();
  await webhook?.stop();
  await cp?.stop();
});

const namespaceLabel = async (name: string, key: string): Promise<string> => kubectlOk(['get', 'namespace', name, '-o', `jsonpath={.metadata.labels.${key.replace(/\./g, '\\.')}}`]);

t.test('namespaces/status cannot change the profile or mode label, for a developer or an admin', async (t) => {
  const patch = (labels: Record<string, string>, options: KubectlOptions) =>
    cp.kubectl(['patch', 'namespace', 'team-s', '--subresource=status', '--type=merge', '-p', JSON.stringify({ metadata: { labels } })], options);
  const byJane = await patch({ 'netpol-hygiene.io/profile': 'none' }, jane);
  t.equal(byJane.code, 1);
  t.match(
    byJane.stderr,
    denial(
      'validate-namespaces.netpol-hygiene.io',
      'NS-LABELS: namespaces/status may not change label netpol-hygiene.io/profile (seed → none) on namespace "team-s"; labels change only through the namespace itself',
    ),
  );
  const byAdmin = await patch({ 'netpol-hygiene.io/mode': 'audit' }, {});
  t.equal(byAdmin.code, 1);
  t.match(byAdmin.stderr, /NS-LABELS: namespaces\/status may not change label netpol-hygiene\.io\/mode \(unset → audit\) on namespace "team-s"/);
  t.equal(await namespaceLabel('team-s', 'netpol-hygiene.io/profile'), 'seed', 'the profile label is unchanged in the API server');
  t.equal(await namespaceLabel('team-s', 'netpol-hygiene.io/mode'), '', 'no mode label');
  const record = await webhook.waitForLine((l) => typeof l === 'object' && l.audit === true && l.subResource === 'status' && l.user === 'jane');
  t.match(record, { kind: 'Namespace', operation: 'UPDATE', decision: 'denied', code: 403, rules: ['NS-LABELS'] });
  const unrelated = await patch({ team: 'storage' }, jane);
  t.equal(unrelated.code, 0, 'other labels may still change through status');
});

t.test('namespaces/finalize cannot change the profile label', async (t) => {
  const namespace = JSON.parse(await kubectlOk(['get', 'namespace', 'team-s', '-o', 'json'])) as { metadata: { labels: Record<string, string> } };
  namespace.metadata.labels['netpol-hygiene.io/profile'] = 'none';
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-e2e-finalize-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ns.json');
  writeFileSync(file, JSON.stringify(namespace));
  const result = await cp.kubectl(['replace', '--raw', '/api/v1/namespaces/team-s/finalize', '-f', file], jane);
  t.not(result.code, 0);
  t.match(result.stderr, /NS-LABELS: namespaces\/finalize may not change label netpol-hygiene\.io\/profile \(seed → none\) on namespace \\?"team-s\\?"/);
  t.equal(await namespaceLabel('team-s', 'netpol-hygiene.io/profile'), 'seed');
});

t.test('pods/status cannot remove or change the tier label', async (t) => {
  const remove = await cp.kubectl(['patch', 'pod', 'db-0', '-n', 'team-s', '--subresource=status', '--type=json', '-p', '[{"op":"remove","path":"/metadata/labels/tier"}]'], jane);
  t.equal(remove.code, 1);
  t.match(
    remove.stderr,
    denial('validate-pods.netpol-hygiene.io', 'POD-TIER: pods/status may not change label tier (db → unset) on pod "db-0" in namespace "team-s"; labels change only through the pod itself'),
  );
  const change = await cp.kubectl(['patch', 'pod', 'db-0', '-n', 'team-s', '--subresource=status', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"ui"}}}'], jane);
  t.equal(change.code, 1);
  t.match(change.stderr, /POD-TIER: pods\/status may not change label tier \(db → ui\) on pod "db-0"/);
  t.equal(await kubectlOk(['get', 'pod', 'db-0', '-n', 'team-s', '-o', 'jsonpath={.metadata.labels.tier}']), 'db', 'the tier label is unchanged');
  const podStatusRecords = (): Record<string, unknown>[] => webhook.auditRecords().filter((r) => r.kind === 'Pod' && r.subResource === 'status' && r.name === 'db-0');
  await webhook.waitForLine(() => podStatusRecords().length >= 2);
  t.same(podStatusRecords().map((r) => r.decision), ['denied', 'denied'], 'the removal and the change, each audited');
  const conditions = await cp.kubectl(['patch', 'pod', 'db-0', '-n', 'team-s', '--subresource=status', '--type=merge', '-p', '{"metadata":{"labels":{"build":"42"}}}'], jane);
  t.equal(conditions.code, 0, 'a status update that leaves the tier alone is allowed');
  // A tier change is sent: once its record is in, a record of the update above would be too (records keep their order).
  const barrier = await cp.kubectl(['patch', 'pod', 'db-0', '-n', 'team-s', '--subresource=status', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"business"}}}'], jane);
  t.equal(barrier.code, 1);
  await webhook.waitForLine(() => podStatusRecords().length >= 3);
  t.match(
    podStatusRecords().map((r) => [r.decision, r.message]),
    [['denied', /\(db → unset\)/], ['denied', /\(db → ui\)/], ['denied', /\(db → business\)/]],
    'the update that left the tier alone was not even sent to the webhook: no audit record for it',
  );
});

t.test('only netpol-hygiene may create a policy carrying its managed-by label', async (t) => {
  // Within the profile's ceiling (the same grant as allow-ingress-to-ui), so NP-GUARD alone speaks.
  const narrow = (name: string, labels: Record<string, string> = {}): string =>
    JSON.stringify({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: 'team-s', labels },
      spec: { podSelector: { matchLabels: { tier: 'ui' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080 }] }] },
    });
  const managedBy = { 'app.kubernetes.io/managed-by': 'netpol-hygiene' };
  const byJane = await cp.kubectl(['apply', '-f', '-'], { input: narrow('extra-ui', managedBy), ...jane });
  t.equal(byJane.code, 1);
  t.match(
    byJane.stderr,
    denial(
      'validate-networkpolicies.netpol-hygiene.io',
      'NP-GUARD: NetworkPolicy "extra-ui" in namespace "team-s" carries label app.kubernetes.io/managed-by=netpol-hygiene, which marks the netpol-hygiene baseline and is set only by netpol-hygiene itself; user "jane" may not create a policy with it; remove the label, or ask a member of system:masters',
    ),
  );
  t.equal((await cp.kubectl(['get', 'networkpolicy', 'extra-ui', '-n', 'team-s'])).code, 1, 'the policy does not exist');

  await kubectlOk(['apply', '-f', '-'], { input: narrow('own'), ...jane });
  const relabel = await cp.kubectl(['label', 'networkpolicy', 'own', '-n', 'team-s', 'app.kubernetes.io/managed-by=netpol-hygiene'], jane);
  t.equal(relabel.code, 1);
  t.match(relabel.stderr, /user "jane" may not add it; remove the label/);

  await kubectlOk(['apply', '-f', '-'], { input: narrow('extra-ui', managedBy) });
  const adminRecord = await webhook.waitForLine((l) => typeof l === 'object' && l.audit === true && l.kind === 'NetworkPolicy' && l.name === 'extra-ui' && l.user === 'e2e-admin');
  t.match(adminRecord, { operation: 'CREATE', decision: 'allowed' }, 'an admin may, and it is audited');
  const deleted = await cp.kubectl(['delete', 'networkpolicy', 'extra-ui', '-n', 'team-s'], jane);
  t.equal(deleted.code, 0, 'NP-GUARD does not defend a labelled policy that the profile does not define');
  const baseline = await cp.kubectl(['delete', 'networkpolicy', 'default-deny', '-n', 'team-s'], jane);
  t.equal(baseline.code, 1, 'while the baseline stays defended');
});

t.test('the webhook answers admission only to the client certificate its --client-ca signed', async (t) => {
  const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} };
  const anonymous = await tlsRequest(`https://127.0.0.1:${webhook.port}`, { ca: webhook.caPem }, 'POST', '/validate', review);
  t.equal(anonymous.status, 401);
  t.same(JSON.parse(anonymous.body), {
    error: 'ClientCertificateRequired',
    message: 'this webhook accepts admission requests only from a client certificate signed by its --client-ca',
  });
  t.equal((await tlsRequest(`https://127.0.0.1:${webhook.port}`, { ca: webhook.caPem }, 'GET', '/healthz')).status, 200, 'probes need no certificate');
  t.ok(await webhook.waitForLine((l) => typeof l === 'object' && l.msg === 'rejected request: ClientCertificateRequired'), 'the refusal is logged');

  // A webhook the API server has no certificate for: every call it makes is refused.
  await kubectlOk(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'unlisted-probe' },
      webhooks: [
        {
          name: 'unlisted.netpol-hygiene.io',
          clientConfig: { url: unlisted.url('/validate'), caBundle: Buffer.from(unlisted.caPem).toString('base64') },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], operations: ['CREATE'], scope: 'Namespaced' }],
          objectSelector: { matchLabels: { probe: 'client-auth' } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
        },
      ],
    }),
  });
  t.teardown(() => kubectlOk(['delete', 'validatingwebhookconfiguration', 'unlisted-probe']));
  // The registration takes effect within a second or two; until then the dry run passes.
  const probe = (attempt: number) =>
    cp.kubectl(['apply', '--dry-run=server', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `probe-${attempt}`, namespace: 'team-s', labels: { probe: 'client-auth' } } }),
    });
  let result = await probe(0);
  for (let attempt = 1; attempt < 40 && result.code === 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    result = await probe(attempt);
  }
  t.equal(result.code, 1, 'the API server could not call a webhook that requires a certificate it does not have');
  // How kube-apiserver words a 401 from a webhook.
  t.match(result.stderr, /failed calling webhook "unlisted\.netpol-hygiene\.io": failed to call webhook: the server has asked for the client to provide credentials/);
});
