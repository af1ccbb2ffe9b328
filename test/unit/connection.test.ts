/**
 * Kubeconfigs as users have them: contexts, KUBECONFIG lists, relative paths, and credential
 * plugins (exec, OIDC auth-provider) through @kubernetes/client-node, each against a local
 * HTTPS server that records the Authorization header the API server would check.
 */
import t, { type Test } from 'tap';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConnection } from '../../src/cluster/connection.ts';
import { KubeApi } from '../../src/cluster/kube-api.ts';
import { startScriptedServer } from './scripted-api-server.ts';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-hygiene-kubeconfig-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function kubeconfig(server: string, users: Record<string, Record<string, unknown>>, contexts: Record<string, string>, current?: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': current,
    clusters: [{ name: 'local', cluster: { server, 'certificate-authority': 'ca.crt' } }],
    users: Object.entries(users).map(([name, user]) => ({ name, user })),
    contexts: Object.entries(contexts).map(([name, user]) => ({ name, context: { cluster: 'local', user } })),
  });
}

async function authorizationOf(api: KubeApi, server: { requests: { headers: { authorization?: string } }[] }): Promise<string | undefined> {
  await api.request('GET', '/api/v1/namespaces');
  return server.requests.at(-1)?.headers.authorization;
}

t.test('--context picks a context other than current-context; an unknown one names the contexts there are', async (t) => {
  const server = await startScriptedServer(t, () => ({ status: 200, body: {} }));
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ca.crt'), server.caPem);
  const path = join(dir, 'config');
  writeFileSync(path, kubeconfig(server.url, { alice: { token: 'alice-token' }, bob: { token: 'bob-token' } }, { dev: 'alice', ops: 'bob' }, 'dev'));
  const current = new KubeApi(loadConnection({ kubeconfig: path }));
  t.teardown(() => current.close());
  t.equal(await authorizationOf(current, server), 'Bearer alice-token');
  const ops = new KubeApi(loadConnection({ kubeconfig: path, context: 'ops' }));
  t.teardown(() => ops.close());
  t.equal(await authorizationOf(ops, server), 'Bearer bob-token');
  t.equal(ops.connection.source, `kubeconfig ${path}, context "ops"`);
  t.throws(() => loadConnection({ kubeconfig: path, context: 'prod' }), { message: `kubeconfig ${path}: context "prod" is not defined (contexts: dev, ops)` });
});

t.test('KUBECONFIG lists are merged as kubectl merges them: first definition wins, missing files skipped, paths relative to their file', async (t) => {
  const server = await startScriptedServer(t, () => ({ status: 200, body: {} }));
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ca.crt'), server.caPem);
  writeFileSync(join(dir, 'token'), 'from-a-file\n');
  const first = join(dir, 'first');
  const second = join(dir, 'second');
  writeFileSync(first, JSON.stringify({ users: [{ name: 'alice', user: { tokenFile: 'token' } }] }));
  writeFileSync(second, kubeconfig(server.url, { alice: { token: 'shadowed' } }, { dev: 'alice' }, 'dev'));
  const env = { KUBECONFIG: [join(dir, 'missing'), first, second].join(':') };
  const api = new KubeApi(loadConnection({}, env));
  t.teardown(() => api.close());
  t.equal(await authorizationOf(api, server), 'Bearer from-a-file');
  t.throws(() => loadConnection({}, { KUBECONFIG: join(dir, 'missing') }), { message: `KUBECONFIG names no file that exists: ${join(dir, 'missing')}` });
});

t.test('static credentials are read without @kubernetes/client-node; plugins go through it', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ca.crt'), 'unused');
  const path = join(dir, 'config');
  const users = { plain: { token: 't' }, exec: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } }, oidc: { 'auth-provider': { name: 'oidc', config: {} } }, basic: { username: 'u', password: 'p' } };
  writeFileSync(path, kubeconfig('https://127.0.0.1:1', users, { plain: 'plain', exec: 'exec', oidc: 'oidc', basic: 'basic' }, 'plain'));
  const needs = (context: string): boolean => loadConnection({ kubeconfig: path, context }).authenticate !== undefined;
  t.same(['plain', 'exec', 'oidc', 'basic'].map(needs), [false, true, true, true]);
});

t.test('an exec plugin: its token is sent, reused until its expirationTimestamp, then fetched again', async (t) => {
  const server = await startScriptedServer(t, () => ({ status: 200, body: {} }));
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ca.crt'), server.caPem);
  // Relative, as kubectl allows: resolved against the kubeconfig's directory.
  writeFileSync(
    join(dir, 'plugin.mjs'),
    `#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
const counter = new URL('./runs', import.meta.url);
let runs = 0;
try { runs = Number(readFileSync(counter, 'utf8')); } catch {}
writeFileSync(counter, String(++runs));
const expirationTimestamp = new Date(Date.now() + 1500).toISOString();
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'exec-token-' + runs + '-' + process.env.AUDIENCE, expirationTimestamp } }));
`,
  );
  chmodSync(join(dir, 'plugin.mjs'), 0o755);
  const path = join(dir, 'config');
  const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: './plugin.mjs', env: [{ name: 'AUDIENCE', value: 'test' }], interactiveMode: 'Never' };
  writeFileSync(path, kubeconfig(server.url, { sso: { exec } }, { sso: 'sso' }, 'sso'));
  const api = new KubeApi(loadConnection({ kubeconfig: path }));
  t.teardown(() => api.close());
  t.equal(await authorizationOf(api, server), 'Bearer exec-token-1-test');
  t.equal(await authorizationOf(api, server), 'Bearer exec-token-1-test', 'reused while valid');
  // The credential expires 1.5 s after it was issued: ask until the plugin's second token is used.
  const deadline = Date.now() + 60_000;
  let authorization = await authorizationOf(api, server);
  while (authorization === 'Bearer exec-token-1-test' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    authorization = await authorizationOf(api, server);
  }
  t.equal(authorization, 'Bearer exec-token-2-test', 'fetched again once expired');
  t.equal(readFileSync(join(dir, 'runs'), 'utf8'), '2');
});

t.test('a failing exec plugin is a clear error naming the kubeconfig, context and user', async (t) => {
  const server = await startScriptedServer(t, () => ({ status: 200, body: {} }));
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ca.crt'), server.caPem);
  const path = join(dir, 'config');
  const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', 'echo "error: the SSO session expired; run: login" >&2; exit 1'] };
  writeFileSync(path, kubeconfig(server.url, { sso: { exec } }, { sso: 'sso' }, 'sso'));
  const api = new KubeApi(loadConnection({ kubeconfig: path }));
  t.teardown(() => api.close());
  await t.rejects(api.request('GET', '/api/v1/namespaces'), { message: `kubeconfig ${path}, context "sso": credentials of user "sso" failed: error: the SSO session expired; run: login` });
  t.equal(server.requests.length, 0, 'nothing sent without credentials');
});

t.test('an OIDC auth-provider sends its id-token while it is valid', async (t) => {
  const server = await startScriptedServer(t, () => ({ status: 200, body: {} }));
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ca.crt'), server.caPem);
  const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const idToken = `${base64url({ alg: 'RS256' })}.${base64url({ iss: 'https://issuer.example', exp: Math.floor(Date.now() / 1000) + 3600 })}.signature`;
  const path = join(dir, 'config');
  const authProvider = { name: 'oidc', config: { 'client-id': 'kubernetes', 'id-token': idToken, 'idp-issuer-url': 'https://issuer.example', 'refresh-token': 'r' } };
  writeFileSync(path, kubeconfig(server.url, { oidc: { 'auth-provider': authProvider } }, { oidc: 'oidc' }, 'oidc'));
  const api = new KubeApi(loadConnection({ kubeconfig: path }));
  t.teardown(() => api.close());
  t.equal(await authorizationOf(api, server), `Bearer ${idToken}`);
});
