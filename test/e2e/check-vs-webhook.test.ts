/**
 * `netpol-hygiene check` gives the answers the webhook gives: the same manifests are first
 * checked offline against the live cluster (read-only), then applied by the same developer
 * through kube-apiserver, and every verdict and denial message must agree.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type ControlPlane, repoRoot, startControlPlane } from '../../harness/control-plane.ts';
import { kubectlOk as kubectlAt } from '../../harness/kubectl.ts';
import { type Webhook, registerWebhooks, startWebhook } from '../../harness/webhook.ts';

const jane = { as: 'jane', asGroups: ['developers'] };

let cp: ControlPlane;
let webhook: Webhook;
let dir: string;

/** Each object: what the developer applies. Names say what the webhook should answer. */
const objects: Record<string, unknown>[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'no-tier', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: 'registry.example.com/shop/app:1' }] } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ui-labelled', namespace: 'shop', labels: { tier: 'ui' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad-tier', namespace: 'shop', labels: { tier: 'cache' } }, spec: { containers: [{ name: 'redis', image: 'redis:7' }] } },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'open-everything', namespace: 'shop' },
    spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: {} }] }] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'ui-on-8080', namespace: 'shop' },
    spec: { podSelector: { matchLabels: { tier: 'ui' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080 }] }] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'claims-the-baseline', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'netpol-hygiene' } },
    spec: { podSelector: { matchLabels: { tier: 'ui' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080 }] }] },
  },
];

interface CheckResult {
  readonly origin: { readonly kind: string; readonly name: string };
  readonly verdict: string;
  readonly messages: readonly string[];
}

function runCheck(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(repoRoot, 'node_modules/.bin/node'), [join(repoRoot, 'src/cli/main.ts'), 'check', ...args], { env: { ...process.env, NETPOL_HYGIENE_CONFIG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-e2e-check-'));
  cp = await startControlPlane();
  webhook = await startWebhook(cp);
  await registerWebhooks(cp, webhook);
  await kubectlAt(cp, ['create', 'clusterrolebinding', 'jane-edit', '--clusterrole=edit', '--user=jane']);
  await kubectlAt(cp, ['create', 'namespace', 'shop']);
  // The baseline, as the reconciler lays it down, so POD-PROTECTED holds for both.
  await webhook.auditRecord((r) => r.event === 'repair' && r.namespace === 'shop');
});

t.teardown(async () => {
  await webhook?.stop();
  await cp?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

t.test('check predicts, object by object, what the webhook then answers', async (t) => {
  const file = join(dir, 'manifests.json');
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  const checked = await runCheck(['-f', file, '--kubeconfig', cp.kubeconfigPath, '--as', 'jane', '--as-group', 'developers', '-o', 'json']);
  t.equal(checked.code, 1, 'check exits 1: something would be denied');
  const results = (JSON.parse(checked.stdout) as { results: CheckResult[] }).results;
  t.equal(results.length, objects.length, checked.stderr);
  for (const object of objects) {
    const name = (object.metadata as { name: string }).name;
    const prediction = results.find((r) => r.origin.name === name);
    const applied = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(object), ...jane });
    const webhookDenied = applied.code !== 0;
    t.equal(prediction?.verdict === 'denied', webhookDenied, `${name}: check said ${prediction?.verdict}, the webhook ${webhookDenied ? 'denied' : 'admitted'}`);
    if (webhookDenied) {
      // The webhook joins its violations with "; ": check must have predicted every one of them, and no other.
      const said = /admission webhook "[^"]+" denied the request: (.*)\n$/s.exec(applied.stderr)?.[1];
      t.equal(said, prediction?.messages.join('; '), `${name}: kubectl prints exactly check's message`);
    }
  }
  t.same(
    results.map((r) => `${r.origin.name}=${r.verdict}`).sort(),
    ['bad-tier=denied', 'claims-the-baseline=denied', 'no-tier=denied', 'open-everything=denied', 'ui-labelled=allowed', 'ui-on-8080=allowed'],
    'the verdicts themselves',
  );
  const annotation = await kubectlAt(cp, ['get', 'pod', 'ui-labelled', '-n', 'shop', '-o', 'jsonpath={.metadata.annotations.netpol-hygiene\\.io/tier-source}']);
  t.equal(annotation, '', 'check predicted no patch for a pod with its own tier label, and the admitted pod carries no tier-source annotation');
});
