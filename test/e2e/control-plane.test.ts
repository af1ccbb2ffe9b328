// The e2e harness itself, without the webhook: a real etcd + kube-apiserver +
// kube-controller-manager comes up, serves the expected version, and deletes a namespace with
// content in it (which only works when the namespace controller runs).
import t from 'tap';
import { startControlPlane } from '../../harness/control-plane.ts';
import type { ControlPlane } from '../../harness/control-plane.ts';

const expectedVersion = 'v1.37.2';

t.test('control plane: start, serve, delete a namespace through the namespace controller', async (t) => {
  let cp: ControlPlane | undefined;
  t.teardown(async () => {
    await cp?.stop();
  });
  cp = await startControlPlane({ log: (line) => t.comment(line) });
  const { certsMs, etcdMs, apiserverMs, controllerManagerMs, totalMs } = cp.timings;
  t.comment(
    `startup: total ${Math.round(totalMs)}ms (certs ${Math.round(certsMs)}, etcd ${Math.round(etcdMs)}, ` +
      `kube-apiserver ${Math.round(apiserverMs)}, kube-controller-manager ${Math.round(controllerManagerMs)})`,
  );
  const rss = cp.rss();
  t.comment(`RSS after start (MiB): etcd ${mib(rss.etcd)}, kube-apiserver ${mib(rss.apiserver)}, kube-controller-manager ${mib(rss.controllerManager)}`);

  const version = await cp.kubectl(['version', '-o', 'json']);
  t.equal(version.code, 0, 'kubectl version succeeds', { stderr: version.stderr });
  const versions = JSON.parse(version.stdout) as { serverVersion?: { gitVersion?: string }; clientVersion?: { gitVersion?: string } };
  t.equal(versions.serverVersion?.gitVersion, expectedVersion, 'server version');
  t.equal(versions.clientVersion?.gitVersion, expectedVersion, 'client (kubectl) version');

  const ns = `e2e-cp-${process.pid}`;
  const created = await cp.kubectl(['create', 'namespace', ns]);
  t.equal(created.code, 0, 'namespace created', { stderr: created.stderr });

  const configMap = await cp.kubectl(['-n', ns, 'create', 'configmap', 'content', '--from-literal=key=value']);
  t.equal(configMap.code, 0, 'configmap created in it', { stderr: configMap.stderr });

  // The default ServiceAccount shows the serviceaccount controller works in new namespaces too.
  const sa = await waitUntil(async () => (await cp!.kubectl(['-n', ns, 'get', 'serviceaccount', 'default', '-o', 'name'])).code === 0, 30_000);
  t.ok(sa, 'the serviceaccount controller created the default ServiceAccount in the new namespace');

  // Impersonation: an ordinary user is refused by RBAC, the admin is not.
  const denied = await cp.kubectl(['-n', ns, 'get', 'configmaps'], { as: 'jane', asGroups: ['developers'] });
  t.not(denied.code, 0, 'an impersonated user without RBAC bindings is refused');
  t.match(denied.stderr, /forbidden/i, 'refused by RBAC');

  const tDelete = performance.now();
  const deleted = await cp.kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
  t.equal(deleted.code, 0, 'namespace deleted (finalized by the namespace controller)', { stderr: deleted.stderr });
  t.comment(`namespace deletion took ${Math.round(performance.now() - tDelete)}ms`);

  const gone = await cp.kubectl(['get', 'namespace', ns, '-o', 'name']);
  t.not(gone.code, 0, 'namespace is gone');
  t.match(gone.stderr, /NotFound|not found/, 'get reports NotFound');
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function mib(kib: number | undefined): string {
  return kib === undefined ? '?' : (kib / 1024).toFixed(0);
}
