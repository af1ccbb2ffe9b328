// The real node itself (harness/node): containerd, kubelet, kube-scheduler and kube-router's
// firewall come up beside the control plane, a Deployment's pod runs the locally built probe
// image and answers, kubectl exec and logs work, and stopping the node leaves no trace on the
// host (processes, mounts and with them network namespaces, bridge, iptables chains, ipsets,
// cgroups, directories) with every sysctl it changed restored.
import t from 'tap';
import { type ControlPlane, startControlPlane, waitFor } from '../../harness/control-plane.ts';
import { kubectlOk } from '../../harness/kubectl.ts';
import { type Node, nodeControlPlaneOptions, startNode } from '../../harness/node/node.ts';
import { probeFrom, probeTarget } from '../../harness/node/probe.ts';

const expectedVersion = 'v1.37.2';

t.test('a Ready node runs a pod from the probe image; stopping it leaves nothing behind', async (t) => {
  let cp: ControlPlane | undefined;
  let node: Node | undefined;
  t.teardown(async () => {
    try {
      await node?.stop();
    } finally {
      await cp?.stop();
    }
  });
  cp = await startControlPlane(nodeControlPlaneOptions({ log: (line) => t.comment(line) }));
  node = await startNode(cp, { log: (line) => t.comment(line) });
  const { lockMs, containerdMs, readyMs, enforcerMs, totalMs } = node.timings;
  t.comment(`node start: total ${Math.round(totalMs)}ms (lock ${Math.round(lockMs)}, containerd + images ${Math.round(containerdMs)}, Ready ${Math.round(readyMs)}, kube-router ${Math.round(enforcerMs)})`);

  const info = JSON.parse(await kubectlOk(cp, ['get', 'node', node.name, '-o', 'json'])) as {
    status: { nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string }; addresses: { type: string; address: string }[] };
    spec: { podCIDR: string };
  };
  t.equal(info.status.nodeInfo.kubeletVersion, expectedVersion, 'the kubelet is at the control plane\'s version');
  t.match(info.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/2\./, 'containerd 2.x');
  t.equal(info.spec.podCIDR, node.podCidr);
  t.match(node.podCidr, /^10\.244\.\d+\.0\/24$/, 'a /24 of the cluster CIDR');

  await kubectlOk(cp, ['create', 'namespace', 'node-smoke']);
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'echo', namespace: 'node-smoke' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'echo' } },
      template: {
        metadata: { labels: { app: 'echo' } },
        spec: { containers: [{ name: 'echo', image: node.probeImage, imagePullPolicy: 'Never', args: ['serve', '8080'] }] },
      },
    },
  };
  await kubectlOk(cp, ['apply', '-f', '-'], { input: JSON.stringify(deployment) });
  type Pod = { metadata: { name: string; namespace: string }; status: { podIP?: string; conditions?: { type: string; status: string }[] } };
  let pods: Pod[] = [];
  await waitFor('two Ready echo pods', 180_000, [], async () => {
    pods = (JSON.parse(await kubectlOk(cp as ControlPlane, ['get', 'pods', '-n', 'node-smoke', '-o', 'json'])) as { items: Pod[] }).items;
    return pods.length === 2 && pods.every((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  });
  const [a, b] = pods as [Pod, Pod];
  t.match(a.status.podIP, /^10\.244\./, 'pods get addresses from the node\'s pod CIDR');

  const results = await probeFrom(cp, a.metadata, [probeTarget(b.status.podIP as string, 8080, 'TCP'), probeTarget(b.status.podIP as string, 8081, 'TCP'), probeTarget(b.status.podIP as string, 53, 'UDP')]);
  t.strictSame(
    results.map((r) => [r.target, r.ok]),
    [
      [`${b.status.podIP}:8080/tcp`, true],
      [`${b.status.podIP}:8081/tcp`, false],
      [`${b.status.podIP}:53/udp`, true],
    ],
    'one exec: TCP 8080 answers, nothing listens on 8081, UDP 53 echoes',
  );
  t.match(results[1]?.error, /connection refused/, 'a closed port is refused, not timed out');
  const logs = await kubectlOk(cp, ['logs', '-n', 'node-smoke', b.metadata.name]);
  t.equal(logs, 'probe: serving tcp 8080 and udp 53\n', 'kubectl logs reads the container\'s output');

  const report = await node.stop();
  t.ok(report.actions.some((a) => a.startsWith('removed bridge')), 'the bridge was there and is gone');
  t.strictSame(report.traces, [], 'no process, mount, bridge, chain, ipset, cgroup, directory or changed sysctl is left');
});
