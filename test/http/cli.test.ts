import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { loadReview } from '../fixtures/load.ts';

const node = process.execPath;
const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(node, [main, ...args], { encoding: 'utf8', env: { ...process.env, NETPOL_HYGIENE_CONFIG: '', ...env } });
}

t.test('certs writes a CA and a serving certificate with exactly the SANs asked for; keys are 0600', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-certs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const result = run(['certs', '--out-dir', dir, '--dns', 'netpol-hygiene.netpol-hygiene.svc', '--ip', '127.0.0.1', '--days', '30']);
  t.equal(result.status, 0, result.stderr);
  const ca = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
  const leaf = new X509Certificate(readFileSync(join(dir, 'tls.crt')));
  t.equal(leaf.subjectAltName, 'DNS:netpol-hygiene.netpol-hygiene.svc, IP Address:127.0.0.1');
  t.ok(leaf.verify(ca.publicKey), 'signed by the CA');
  t.ok(ca.ca && !leaf.ca, 'CA and leaf');
  t.same(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth only');
  t.equal(Math.round((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000), 30, 'valid for --days');
  for (const key of ['ca.key', 'tls.key']) t.equal(statSync(join(dir, key)).mode & 0o777, 0o600, `${key} is 0600`);
  t.equal(readFileSync(join(dir, 'ca-bundle.b64'), 'utf8').trim(), readFileSync(join(dir, 'ca.crt')).toString('base64'), 'ca-bundle.b64 is the caBundle');
  const missing = run(['certs', '--out-dir', dir]);
  t.equal(missing.status, 2);
  t.equal(missing.stderr, 'netpol-hygiene certs: give at least one --dns NAME or --ip IP for the serving certificate\n');
});

t.test('render prints the baseline of a profile as YAML', async (t) => {
  const result = run(['render', '--namespace', 'products-prod', '--profile', 'seed-prod']);
  t.equal(result.status, 0, result.stderr);
  const documents = parseAllDocuments(result.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } });
  t.same(
    documents.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`),
    ['default-deny', 'allow-dns', 'allow-cluster-egress', 'allow-ingress-to-ui', 'allow-ui-to-business', 'allow-business-to-db'].map((n) => `NetworkPolicy/products-prod/${n}`),
  );
  t.match(result.stdout, /kubernetes.io\/metadata.name: products-stage/, "seed-prod's extra peer");
  const unknown = run(['render', '--namespace', 'x', '--profile', 'gold']);
  t.equal(unknown.stderr, 'netpol-hygiene render: profile "gold" is not defined (seed, seed-prod)\n');
});

t.test('serve exits 2 on an invalid config and names every bad path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'bad.yaml');
  writeFileSync(config, 'mode: strict\ntierLabel:\n  key: tier\n  values: [ui, Business!]\nsurprise: true\n');
  const result = run(['serve', '--config', config, '--tls-cert', 'x', '--tls-key', 'y']);
  t.equal(result.status, 2);
  t.equal(
    result.stderr,
    `netpol-hygiene serve: invalid config ${config}:\n` +
      '  - (root): unknown field "surprise"\n' +
      '  - /mode: must be one of enforce, warn, audit\n' +
      '  - /tierLabel/values/1: must match pattern "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"\n',
  );
  const fromEnv = run(['serve', '--tls-cert', 'x', '--tls-key', 'y'], { NETPOL_HYGIENE_CONFIG: join(dir, 'missing.yaml') });
  t.equal(fromEnv.status, 2);
  t.match(fromEnv.stderr, /invalid config .*missing\.yaml:\n {2}- cannot read file: ENOENT/);
});

t.test('serve without a reachable API server still serves: state-free rules decide, the rest fail closed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-unreachable-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(run(['certs', '--out-dir', dir, '--ip', '127.0.0.1']).status, 0);
  const kubeconfig = join(dir, 'kubeconfig');
  // Port 1 on loopback: nothing listens, every connection is refused.
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 'x' } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  }));
  const child = spawn(node, [main, 'serve', '--port', '0', '--host', '127.0.0.1', '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--kubeconfig', kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /"port":(\d+),"msg":"netpol-hygiene webhook listening"/.exec(buffered);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const request = https.request({ host: '127.0.0.1', port, path, method, ca, headers: data ? { 'content-type': 'application/json' } : {} }, (response) => {
        let text = '';
        response.on('data', (c: Buffer) => (text += c.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
      });
      request.on('error', reject);
      request.end(data);
    });
  t.equal((await call('GET', '/healthz')).status, 200, 'alive');
  const ready = await call('GET', '/readyz');
  t.equal(ready.status, 503, 'not ready');
  t.match(ready.json.reason, /^namespaces cache has not synced yet: .*ECONNREFUSED/);
  const optOut = loadReview('namespace-create');
  const labelled = { ...optOut, request: { ...optOut.request, object: { ...optOut.request.object, metadata: { ...optOut.request.object?.metadata, labels: { 'netpol-hygiene.io/profile': 'none' } } } } };
  const namespaceAnswer = (await call('POST', '/validate', labelled)).json.response as { allowed: boolean; status: { code: number; message: string } };
  t.equal(namespaceAnswer.status.code, 403, 'NS-DEFAULT-DENY decides without cluster state');
  t.match(namespaceAnswer.status.message, /^NS-DEFAULT-DENY: /);
  const podAnswer = (await call('POST', '/validate', loadReview('pod-from-deployment'))).json.response as { allowed: boolean; status: { code: number; message: string } };
  t.equal(podAnswer.allowed, false);
  t.equal(podAnswer.status.code, 500, 'POD-PROTECTED needs cluster state: fails closed');
  t.match(podAnswer.status.message, /^netpol-hygiene: cluster state is unavailable \(namespaces cache has not synced yet: .*ECONNREFUSED.*\); the decision needs it, so the request is refused until the API server can be read again$/);
  t.equal(child.exitCode, null, 'still running');
});
