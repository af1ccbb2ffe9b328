// The `kubernetes` Service for pods on the test node, which has no kube-proxy.
//
// In-cluster clients (the webhook's pods) reach the API server at KUBERNETES_SERVICE_HOST:PORT,
// which the kubelet sets to the `kubernetes` Service's ClusterIP and port (10.0.0.1:443 here). A
// cluster routes that address with kube-proxy or a replacement (Cilium, kube-router's IPVS). This
// stands in for it for that one Service, as kube-proxy's userspace mode once did: the ClusterIP
// is added to the host's loopback and a TCP relay on ClusterIP:port forwards every connection to
// the API server. A pod's packets then reach the host addressed to the Service's IP and port, as
// on a cluster whose API server endpoint listens on 443 (EKS, GKE, AKS); kube-proxy's iptables mode
// would show a NetworkPolicy the endpoint's port instead (6443 on kubeadm), which the harness's
// random port can never be. TLS is end to end: the relay sees only bytes, and the API server's
// certificate already names 10.0.0.1 (control-plane.ts).
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { ControlPlane } from './control-plane.ts';
import { cleanupOnSignal, runCommand } from './processes.ts';

/** The label of the loopback address, so a run that crashed is recognised and its address removed. */
const ADDRESS_LABEL = 'lo:nph-svc';

export interface KubernetesServiceRelay {
  /** The Service's ClusterIP:port that pods use. */
  readonly address: string;
  /** Connections relayed so far. */
  connections(): number;
  /** Closes the relay and removes the address from the loopback. Idempotent. */
  stop(): Promise<void>;
}

export async function startKubernetesServiceRelay(cp: ControlPlane): Promise<KubernetesServiceRelay> {
  const service = await cp.api('GET', '/api/v1/namespaces/default/services/kubernetes');
  const spec = (service.json as { spec?: { clusterIP?: string; ports?: { port: number }[] } } | undefined)?.spec;
  const clusterIp = spec?.clusterIP;
  const port = spec?.ports?.[0]?.port;
  if (service.status !== 200 || clusterIp === undefined || port === undefined) throw new Error(`kubernetes Service: ${service.status} ${service.body}`);
  const upstream = new URL(cp.serverUrl);

  await removeLeftoverAddress();
  await ip(['addr', 'add', `${clusterIp}/32`, 'dev', 'lo', 'label', ADDRESS_LABEL]);
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((downstream) => {
    count += 1;
    const up = connect(Number(upstream.port), upstream.hostname);
    for (const socket of [downstream, up]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // Either side failing ends both, as a dropped connection would.
      socket.on('error', () => {
        downstream.destroy();
        up.destroy();
      });
    }
    downstream.pipe(up).pipe(downstream);
  });
  try {
    await listen(server, port, clusterIp);
  } catch (error) {
    await ip(['addr', 'del', `${clusterIp}/32`, 'dev', 'lo']);
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ip(['addr', 'del', `${clusterIp}/32`, 'dev', 'lo']);
      forgetSignal();
    })();
    return stopped;
  };
  // Ctrl-C must not leave the address on the loopback (a crash leaves it for the next start to remove).
  const forgetSignal = cleanupOnSignal(stop);
  return { address: `${clusterIp}:${port}`, connections: () => count, stop };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function ip(args: readonly string[]): Promise<void> {
  const result = await runCommand('ip', args);
  if (result.code !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
}

async function removeLeftoverAddress(): Promise<void> {
  const shown = await runCommand('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo', 'label', ADDRESS_LABEL]);
  for (const match of shown.stdout.matchAll(/inet (\S+)/g)) await ip(['addr', 'del', match[1] as string, 'dev', 'lo']);
}
