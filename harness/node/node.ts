// A real single node for the end-to-end tests, beside harness/control-plane.ts: containerd with
// runc and the CNI bridge, a kubelet and kube-scheduler at the control plane's version, and
// kube-router's NetworkPolicy firewall (iptables + ipset) as the enforcer. Test infrastructure,
// never shipped. Needs root; one node per machine (see lock.ts); stop() leaves nothing behind.
//
//   const cp = await startControlPlane(nodeControlPlaneOptions());
//   const node = await startNode(cp, { log });
//   ... pods with image node.probeImage, imagePullPolicy Never ...
//   await node.stop(); await cp.stop();
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { ControlPlane, StartOptions } from '../control-plane.ts';
import { waitFor } from '../control-plane.ts';
import type { ManagedProcess, RunResult } from '../processes.ts';
import { cleanupOnSignal, freePorts, runCommand, spawnManaged } from '../processes.ts';
import { cniConfig, containerdConfig, gatewayOf, kubeletConfig, kubeRouterRbac } from './configs.ts';
import { cleanupHost, type CleanupReport, nodeTraces } from './host-cleanup.ts';
import { captureHostState, type HostState, loadHostState, saveHostState } from './host-state.ts';
import { CLUSTER_CIDR, NODE_NAME, type NodeLayout, nodeLayout } from './layout.ts';
import { takeNodeLock } from './lock.ts';
import { findNodeParts, type NodeParts } from './parts.ts';

export interface NodeStopReport extends CleanupReport {
  /** nodeTraces() after the cleanup, under the lock: empty when nothing is left. */
  readonly traces: readonly string[];
}

export interface NodeOptions {
  readonly log?: (line: string) => void;
  /** More image archives (`docker save` or OCI layout) to import before the node is used. */
  readonly images?: readonly string[];
}

export interface NodeTimings {
  readonly lockMs: number;
  readonly containerdMs: number;
  readonly readyMs: number;
  readonly enforcerMs: number;
  readonly totalMs: number;
}

export interface Node {
  readonly name: string;
  /** The node's /24 of CLUSTER_CIDR. */
  readonly podCidr: string;
  /** The bridge's address: the pods' gateway, the host as pods reach it. */
  readonly gatewayAddress: string;
  /** The host address the kubelet registered (InternalIP). */
  readonly nodeIp: string;
  /** Image names to use with imagePullPolicy Never: the test workload and the sandbox. */
  readonly probeImage: string;
  readonly pauseImage: string;
  readonly parts: NodeParts;
  readonly layout: NodeLayout;
  readonly timings: NodeTimings;
  /** Each component's log file (in the control plane's dir). */
  readonly logs: Readonly<Record<'containerd' | 'kubelet' | 'kubeScheduler' | 'kubeRouter', string>>;
  /** Imports an image archive into the node's runtime (what a registry pull would have done). */
  importImage(archive: string): Promise<void>;
  /** ctr against the node's containerd, in the k8s.io namespace. */
  ctr(args: readonly string[]): Promise<RunResult>;
  /** The host as it was before this node (what stop() restores). */
  readonly hostState: HostState;
  /**
   * Stops every component and removes every trace from the host (see host-cleanup.ts); the
   * report's traces are what is still there afterwards, looked at before the lock is released
   * (another node may start the moment it is). Idempotent.
   */
  stop(): Promise<NodeStopReport>;
}

/** The control plane a node needs: node IPAM (pod CIDRs), node lifecycle (the not-ready taint lifted). */
export function nodeControlPlaneOptions(options: StartOptions = {}): StartOptions {
  return {
    ...options,
    // exec and logs reach the kubelet at its InternalIP: the node's name resolves nowhere.
    apiServerArgs: [...(options.apiServerArgs ?? []), '--kubelet-preferred-address-types=InternalIP'],
    controllers: [...(options.controllers ?? []), 'node-ipam-controller', 'node-lifecycle-controller'],
    controllerManagerArgs: [
      ...(options.controllerManagerArgs ?? []),
      '--allocate-node-cidrs=true',
      `--cluster-cidr=${CLUSTER_CIDR}`,
      '--node-cidr-mask-size=24',
    ],
  };
}

/** The binaries whose processes belong to the node: cleanup kills them wherever they run. */
export function nodeBinaries(parts: NodeParts): string[] {
  return [parts.kubelet, parts.kubeScheduler, parts.containerd, join(parts.containerdShimDir, 'containerd-shim-runc-v2'), parts.kubeRouter];
}

export async function startNode(cp: ControlPlane, options: NodeOptions = {}): Promise<Node> {
  const log = options.log ?? (() => {});
  if (process.getuid?.() !== 0) throw new Error('node: a real node needs root (containerd, the kubelet, iptables)');
  const parts = await findNodeParts();
  const layout = nodeLayout();
  const t0 = performance.now();
  const lock = takeNodeLock(layout.lockPath, log);
  await lock.acquired;
  const lockMs = performance.now() - t0;
  const started: ManagedProcess[] = [];
  let stopped: Promise<NodeStopReport> | undefined;
  // Ctrl-C must not leave mounts, chains and changed sysctls behind; the harness's exit and
  // watchdog only kill processes (the next start, or npm run node:cleanup, removes the rest).
  let forgetSignal: () => void = () => {};
  const stop = (): Promise<NodeStopReport> => {
    stopped ??= (async () => {
      try {
        for (const p of [...started].reverse()) await p.stop(5000);
        const hostState = loadHostState(layout.statePath);
        const report = await cleanupHost(layout, nodeBinaries(parts), hostState);
        for (const action of report.actions) log(`node cleanup: ${action}`);
        const traces = hostState ? await nodeTraces(layout, nodeBinaries(parts), hostState) : [];
        for (const trace of traces) log(`node cleanup: left behind: ${trace}`);
        return { ...report, traces };
      } finally {
        await lock.release();
        forgetSignal();
      }
    })();
    return stopped;
  };
  forgetSignal = cleanupOnSignal(stop);
  try {
    const leftovers = await cleanupHost(layout, nodeBinaries(parts));
    if (leftovers.actions.length > 0) log(`node: removed a previous run's leftovers: ${leftovers.actions.join('; ')}`);
    const node = await bringUp({ cp, parts, layout, started }, log);
    const timings = { ...node.timings, lockMs, totalMs: performance.now() - t0 };
    log(`node: ${NODE_NAME} Ready, enforcer live, in ${Math.round(timings.totalMs)}ms (lock ${Math.round(lockMs)}ms)`);
    for (const archive of options.images ?? []) await node.importImage(archive);
    return { ...node, timings, stop };
  } catch (error) {
    await stop().catch((cleanupError: unknown) => log(`node: cleanup after a failed start failed too: ${String(cleanupError)}`));
    throw error;
  }
}

type Started = Omit<Node, 'stop' | 'timings'> & { timings: Omit<NodeTimings, 'lockMs' | 'totalMs'> };

/** What every step of the bring-up works with; `started` collects processes for stop(). */
interface Context {
  readonly cp: ControlPlane;
  readonly parts: NodeParts;
  readonly layout: NodeLayout;
  readonly started: ManagedProcess[];
}

async function bringUp(ctx: Context, log: (line: string) => void): Promise<Started> {
  const { cp, parts, layout } = ctx;
  // Recorded before anything changes; cleanupHost restores it, after a crash too.
  await mkdir(layout.root, { recursive: true, mode: 0o700 });
  const hostState = captureHostState();
  await saveHostState(layout.statePath, hostState);
  for (const dir of [layout.kubeconfigs, layout.cniConfDir, layout.cniIpamDir, layout.podLogs, layout.kubeletRoot, join(layout.root, 'containerd')]) {
    await mkdir(dir, { recursive: true });
  }
  const logs = {
    containerd: join(cp.dir, 'node-containerd.log'),
    kubelet: join(cp.dir, 'node-kubelet.log'),
    kubeScheduler: join(cp.dir, 'node-kube-scheduler.log'),
    kubeRouter: join(cp.dir, 'node-kube-router.log'),
  };

  const tContainerd = performance.now();
  const containerd = await startContainerd(ctx, logs.containerd);
  const ctr = (args: readonly string[]) => runCommand(parts.ctr, ['--address', layout.containerdSocket, '--namespace', 'k8s.io', ...args], { timeoutMs: 300_000 });
  const importImage = async (archive: string): Promise<void> => {
    const result = await ctr(['images', 'import', archive]);
    if (result.code !== 0) throw new Error(`node: ctr images import ${archive}: ${result.stderr}`);
  };
  await importImage(parts.pauseImageArchive);
  await importImage(parts.probeImageArchive);
  const containerdMs = performance.now() - tContainerd;
  log(`node: containerd up, pause and probe images imported in ${Math.round(containerdMs)}ms`);

  const tReady = performance.now();
  const nodeIp = await hostAddress();
  const kubelet = await startKubelet(ctx, nodeIp, logs.kubelet);
  const podCidr = await waitForPodCidr(cp, [containerd, kubelet]);
  // Only now: the bridge's subnet is the CIDR the controller manager assigned to this node.
  await writeFile(join(layout.cniConfDir, '10-netpol-hygiene.conflist'), JSON.stringify(cniConfig(layout, podCidr), null, 2));
  const scheduler = await startScheduler(ctx, logs.kubeScheduler);
  await waitFor(`node ${NODE_NAME} Ready`, 120_000, [containerd, kubelet, scheduler], async () => nodeReady(cp));
  const readyMs = performance.now() - tReady;
  log(`node: ${NODE_NAME} Ready in ${Math.round(readyMs)}ms (pod CIDR ${podCidr}, node IP ${nodeIp})`);

  const tEnforcer = performance.now();
  await startKubeRouter(ctx, logs.kubeRouter, [containerd, kubelet, scheduler]);
  const enforcerMs = performance.now() - tEnforcer;
  log(`node: kube-router firewall chains in place in ${Math.round(enforcerMs)}ms`);

  return {
    name: NODE_NAME,
    podCidr,
    gatewayAddress: gatewayOf(podCidr),
    nodeIp,
    probeImage: parts.probeImage,
    pauseImage: parts.pauseImage,
    parts,
    layout,
    hostState,
    logs,
    timings: { containerdMs, readyMs, enforcerMs },
    importImage,
    ctr,
  };
}

async function startContainerd({ parts, layout, started }: Context, logPath: string): Promise<ManagedProcess> {
  await writeFile(layout.containerdConfig, containerdConfig(layout, parts));
  const containerd = spawnManaged({
    name: 'containerd',
    command: parts.containerd,
    args: ['--config', layout.containerdConfig, '--log-level', 'warn'],
    logPath,
    // containerd looks its runc shim up on PATH.
    env: { PATH: `${parts.containerdShimDir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
  });
  started.push(containerd);
  await waitFor('containerd to serve', 60_000, [containerd], async () => {
    if (!existsSync(layout.containerdSocket)) return false;
    return (await runCommand(parts.ctr, ['--address', layout.containerdSocket, 'version'], { timeoutMs: 10_000 })).code === 0;
  });
  return containerd;
}

async function startKubelet({ cp, parts, layout, started }: Context, nodeIp: string, logPath: string): Promise<ManagedProcess> {
  const kubeconfig = join(layout.kubeconfigs, 'kubelet.kubeconfig');
  await cp.writeKubeconfig(kubeconfig, `system:node:${NODE_NAME}`, ['system:nodes']);
  const clientCa = join(layout.kubeconfigs, 'client-ca.crt');
  await writeFile(clientCa, cp.clientCaPem);
  const [port, healthzPort] = (await freePorts(2)) as [number, number];
  await writeFile(layout.kubeletConfig, JSON.stringify(kubeletConfig(layout, clientCa, nodeIp, { port, healthzPort }), null, 2));
  const kubelet = spawnManaged({
    name: 'kubelet',
    command: parts.kubelet,
    args: [
      `--config=${layout.kubeletConfig}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${layout.kubeletRoot}`,
      // Its default is /var/lib/kubelet/pki, whatever --root-dir says.
      `--cert-dir=${join(layout.kubeletRoot, 'pki')}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${nodeIp}`,
      '--v=1',
    ],
    logPath,
  });
  started.push(kubelet);
  return kubelet;
}

async function waitForPodCidr(cp: ControlPlane, processes: ManagedProcess[]): Promise<string> {
  let podCidr = '';
  await waitFor(`node ${NODE_NAME} registered with a pod CIDR`, 120_000, processes, async () => {
    const res = await cp.api('GET', `/api/v1/nodes/${NODE_NAME}`);
    podCidr = (res.json as { spec?: { podCIDR?: string } } | undefined)?.spec?.podCIDR ?? '';
    return res.status === 200 && podCidr !== '';
  });
  return podCidr;
}

async function nodeReady(cp: ControlPlane): Promise<boolean> {
  const res = await cp.api('GET', `/api/v1/nodes/${NODE_NAME}`);
  const node = res.json as { spec?: { taints?: { key: string }[] }; status?: { conditions?: { type: string; status: string }[] } } | undefined;
  const ready = node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  // The node lifecycle controller lifts node.kubernetes.io/not-ready once it sees Ready; until then nothing schedules.
  const notReadyTaint = node?.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready') ?? false;
  return ready && !notReadyTaint;
}

async function startScheduler({ cp, parts, layout, started }: Context, logPath: string): Promise<ManagedProcess> {
  const kubeconfig = join(layout.kubeconfigs, 'kube-scheduler.kubeconfig');
  await cp.writeKubeconfig(kubeconfig, 'system:kube-scheduler');
  const scheduler = spawnManaged({
    name: 'kube-scheduler',
    command: parts.kubeScheduler,
    args: [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0', '--profiling=false'],
    logPath,
  });
  started.push(scheduler);
  return scheduler;
}

async function startKubeRouter({ cp, parts, layout, started }: Context, logPath: string, others: ManagedProcess[]): Promise<void> {
  const user = 'netpol-hygiene-node:kube-router';
  const rbac = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: kubeRouterRbac(user) }) });
  if (rbac.code !== 0) throw new Error(`node: kube-router's RBAC: ${rbac.stderr}`);
  const kubeconfig = join(layout.kubeconfigs, 'kube-router.kubeconfig');
  await cp.writeKubeconfig(kubeconfig, user);
  const [healthPort] = (await freePorts(1)) as [number];
  const kubeRouter = spawnManaged({
    name: 'kube-router',
    command: parts.kubeRouter,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${NODE_NAME}`,
      '--run-firewall=true',
      '--run-router=false',
      '--run-service-proxy=false',
      '--enable-cni=false',
      '--enable-ipv6=false',
      `--health-port=${healthPort}`,
      '--metrics-port=0',
      '--v=1',
    ],
    logPath,
  });
  started.push(kubeRouter);
  await waitFor('kube-router\'s KUBE-ROUTER-FORWARD chain', 90_000, [...others, kubeRouter], async () => (await runCommand('iptables', ['-S', 'KUBE-ROUTER-FORWARD'])).code === 0);
}

/** The IPv4 address of the interface holding the default route: the kubelet's node IP. */
async function hostAddress(): Promise<string> {
  const route = await runCommand('ip', ['-json', 'route', 'show', 'default']);
  const device = route.code === 0 ? (JSON.parse(route.stdout) as { dev?: string }[])[0]?.dev : undefined;
  const found = (device ? networkInterfaces()[device] : undefined)?.find((a) => a.family === 'IPv4' && !a.internal);
  if (!found) throw new Error(`node: no IPv4 address on the default route's interface (${device ?? 'no default route'}) for the kubelet`);
  return found.address;
}
