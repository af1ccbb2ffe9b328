// Where a node lives on this machine. kubelet and containerd take these paths from their
// configs, but a few stay fixed on the host (cgroups, /var/log/containers, containerd's shim
// sockets under /run/containerd, iptables, the bridge), so only one node can run at a time:
// the lock serialises them, and everything below is removed when the node stops.
import { join } from 'node:path';

export const NODE_NAME = 'netpol-hygiene-node';
/** The pods' network; the controller manager hands the node a /24 of it. */
export const CLUSTER_CIDR = '10.244.0.0/16';
export const BRIDGE = 'nph0';
export const CNI_NETWORK = 'netpol-hygiene';

export interface NodeLayout {
  readonly root: string;
  readonly lockPath: string;
  /** Sysctls and host paths as they were before the node started, for restoring them. */
  readonly statePath: string;
  readonly containerdConfig: string;
  readonly containerdRoot: string;
  readonly containerdState: string;
  readonly containerdSocket: string;
  readonly kubeletRoot: string;
  readonly kubeletConfig: string;
  readonly podLogs: string;
  readonly cniConfDir: string;
  readonly cniIpamDir: string;
  readonly kubeconfigs: string;
}

export function nodeLayout(root = process.env.NETPOL_HYGIENE_NODE_ROOT || '/var/lib/netpol-hygiene-node'): NodeLayout {
  return {
    root,
    lockPath: '/run/netpol-hygiene-node.lock',
    statePath: join(root, 'host-state.json'),
    containerdConfig: join(root, 'containerd', 'config.toml'),
    containerdRoot: join(root, 'containerd', 'root'),
    containerdState: join(root, 'containerd', 'state'),
    containerdSocket: join(root, 'containerd.sock'),
    kubeletRoot: join(root, 'kubelet'),
    kubeletConfig: join(root, 'kubelet-config.json'),
    podLogs: join(root, 'pod-logs'),
    cniConfDir: join(root, 'cni', 'net.d'),
    cniIpamDir: join(root, 'cni', 'ipam'),
    kubeconfigs: join(root, 'kubeconfigs'),
  };
}

/**
 * Host paths a node creates outside its root whatever its configs say (the kubelet's device
 * plugin socket dir is a constant, /var/lib/kubelet/device-plugins); removed on stop when they
 * were not there before.
 */
export const HOST_PATHS = ['/var/log/containers', '/run/containerd', '/var/lib/kubelet'] as const;

/**
 * Sysctls the node changes: the kubelet writes the kernel.* and vm.* ones (protectKernelDefaults
 * false), the CNI bridge plugin ip_forward; bridged pod traffic must pass iptables for the
 * enforcer to see it. All are restored on stop.
 */
export const SYSCTLS = [
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
] as const;
