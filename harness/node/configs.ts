// The node's component configurations. Pure: values in, file contents out.
import { BRIDGE, CNI_NETWORK, type NodeLayout } from './layout.ts';

export function containerdConfig(layout: NodeLayout, parts: { pauseImage: string; runc: string; cniBinDir: string }): string {
  const q = (s: string) => JSON.stringify(s);
  return `version = 3
root = ${q(layout.containerdRoot)}
state = ${q(layout.containerdState)}

[grpc]
  address = ${q(layout.containerdSocket)}

[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = ${q(`${layout.root}/containerd/opt`)}
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = ${q(parts.pauseImage)}
  [plugins.'io.containerd.cri.v1.runtime']
    # Root here lacks CAP_SYS_RESOURCE: the sandbox's oom_score_adj of -998 would fail every pod.
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    enable_unprivileged_ports = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = ${q(parts.runc)}
          Root = ${q(`${layout.containerdState}/runc`)}
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = [${q(parts.cniBinDir)}]
      conf_dir = ${q(layout.cniConfDir)}
  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = '127.0.0.1'
    stream_server_port = '0'
`;
}

export interface KubeletPorts {
  readonly port: number;
  readonly healthzPort: number;
}

export function kubeletConfig(layout: NodeLayout, clientCaFile: string, nodeIp: string, ports: KubeletPorts): Record<string, unknown> {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: nodeIp,
    port: ports.port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: ports.healthzPort,
    // The API server's kubelet-client certificate is checked against the cluster's client CA,
    // and what it may do is asked of the API server (SubjectAccessReview), as on a kubeadm node.
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: clientCaFile } },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
    cgroupDriver: 'cgroupfs',
    // This machine has cgroup v1 only (the VM's init holds the v1 memory hierarchy).
    failCgroupV1: false,
    failSwapOn: false,
    // kubelet then writes kernel.panic & co. itself; the node restores them on stop.
    protectKernelDefaults: false,
    podLogsDir: layout.podLogs,
    resolvConf: '',
    // The images were imported, not pulled: nothing may garbage-collect them, and a busy
    // shared disk must not evict the test's pods.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'nodefs.inodesFree': '1%', 'imagefs.available': '1%' },
    rotateCertificates: false,
    serverTLSBootstrap: false,
  };
}

/** The CNI bridge on the node's pod CIDR; the enforcer, not the CNI, decides who talks to whom. */
export function cniConfig(layout: NodeLayout, podCidr: string): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: CNI_NETWORK,
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: podCidr }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: layout.cniIpamDir },
      },
    ],
  };
}

/** The first host address of a CIDR: the bridge's address, the pods' gateway to the host. */
export function gatewayOf(podCidr: string): string {
  const [network] = podCidr.split('/');
  const octets = (network ?? '').split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o))) throw new Error(`not an IPv4 CIDR: ${podCidr}`);
  octets[3] = (octets[3] as number) + 1;
  return octets.join('.');
}

/** kube-router's firewall reads these (its upstream ClusterRole, minus what only its router and proxy use). */
export function kubeRouterRbac(user: string): Record<string, unknown>[] {
  const read = ['get', 'list', 'watch'];
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'netpol-hygiene-node:kube-router' },
      rules: [
        { apiGroups: [''], resources: ['namespaces', 'pods', 'services', 'nodes', 'endpoints'], verbs: read },
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: read },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'netpol-hygiene-node:kube-router' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'netpol-hygiene-node:kube-router' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    },
  ];
}
