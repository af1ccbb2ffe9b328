// The webhook's container image as the tests and `npm run image:measure` use it: built (or taken
// from the cache) by scripts/build-image.sh, present in podman's storage, and run with podman as
// manifests/base/deployment.yaml runs it (docs/image.md).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate } from '../src/certs/authority.ts';
import { type ApiResponse, repoRoot, tlsRequest } from './control-plane.ts';
import { type ManagedProcess, type RunResult, freePort, runCommand, spawnManaged } from './processes.ts';

/** buildah and podman read the project's containers.conf, never the machine's (docs/image.md). */
const containersEnv = { CONTAINERS_CONF: join(repoRoot, 'scripts/containers.conf') };
/** By name: scripts/containers.conf says where runc is (crun refuses cgroup v1 here). */
const RUNC = 'runc';
/** A cold build on a busy two-core machine takes ten minutes and more. */
const BUILD_TIMEOUT_MS = 60 * 60_000;

export interface BuiltImage {
  /** The docker-archive (`ctr images import`, `podman load`, `docker load`). */
  readonly archive: string;
  /** The image ID (its config's digest), the same in every storage the archive is loaded into. */
  readonly id: string;
  /** The names the archive carries, e.g. docker.io/library/netpol-hygiene:latest. */
  readonly repoTags: readonly string[];
}

export function podman(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<RunResult> {
  return runCommand('podman', [`--runtime=${RUNC}`, ...args], { env: containersEnv, timeoutMs: options.timeoutMs });
}

async function podmanOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  const result = await podman(args, { timeoutMs });
  if (result.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * The image's archive from scripts/build-image.sh (cached: ~1 s when warm; a cold build takes
 * minutes). What a node imports: `ctr -n k8s.io images import <archive>`.
 */
export async function imageArchive(): Promise<BuiltImage> {
  const built = await runCommand(join(repoRoot, 'scripts/build-image.sh'), [], { timeoutMs: BUILD_TIMEOUT_MS });
  if (built.code !== 0) throw new Error(`scripts/build-image.sh exited ${built.code}:\n${built.stderr.slice(-4000)}`);
  const archive = built.stdout.trim().split('\n').at(-1) ?? '';
  const manifest = await runCommand('tar', ['-xOf', archive, 'manifest.json']);
  if (manifest.code !== 0) throw new Error(`${archive}: no manifest.json: ${manifest.stderr}`);
  const [entry] = JSON.parse(manifest.stdout) as { Config: string; RepoTags?: string[] }[];
  if (entry === undefined) throw new Error(`${archive}: manifest.json lists no image`);
  return { archive, id: entry.Config.replace(/\.json$/, ''), repoTags: entry.RepoTags ?? [] };
}

/** The image's archive, loaded into podman's storage when it is not there yet. */
export async function imageInPodman(): Promise<BuiltImage> {
  const image = await imageArchive();
  if ((await podman(['image', 'exists', image.id])).code !== 0) await podmanOk(['load', '--quiet', '--input', image.archive], BUILD_TIMEOUT_MS);
  return image;
}

/** Files the Deployment mounts (TLS secret, config map) and a kubeconfig, readable by uid 10001. */
export interface PodFiles {
  readonly dir: string;
  /** The CA that signed the serving certificate (for 127.0.0.1 and localhost). */
  readonly caPem: string;
  /** A kubeconfig the container can read, when the pod is to reach an API server. */
  readonly kubeconfig?: string;
}

/** Writes the pod's volumes under dir (which the caller removes). */
export async function podFiles(dir: string, options: { kubeconfigFrom?: string } = {}): Promise<PodFiles> {
  const ca = await createCertificateAuthority('netpol-hygiene-image-test-ca', 1);
  const serving = await issueCertificate(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server', days: 1 });
  // As the kubelet projects a secret (mode 0644 by default): the container's user is not the owner.
  for (const sub of ['tls', 'config', 'kubeconfig']) mkdirSync(join(dir, sub), { mode: 0o755 });
  writeFileSync(join(dir, 'tls/tls.crt'), serving.certPem, { mode: 0o644 });
  writeFileSync(join(dir, 'tls/tls.key'), serving.keyPem, { mode: 0o644 });
  copyFileSync(join(repoRoot, 'manifests/base/config.yaml'), join(dir, 'config/config.yaml'));
  if (options.kubeconfigFrom === undefined) return { dir, caPem: ca.certPem };
  writeFileSync(join(dir, 'kubeconfig/kubeconfig'), readFileSync(options.kubeconfigFrom), { mode: 0o644 });
  return { dir, caPem: ca.certPem, kubeconfig: '/etc/netpol-hygiene/kubeconfig/kubeconfig' };
}

/**
 * `podman run` flags for the Deployment's pod: its user, read-only root filesystem with only /tmp
 * writable, no capabilities, no privilege escalation, the default seccomp profile (RuntimeDefault),
 * the 256Mi memory limit without swap, and its volumes read-only at the same paths. Host network:
 * the container listens on a port chosen free, and nothing network-wide is created or left behind.
 * --timeout bounds its life should the process that started it be killed before removing it.
 */
function deploymentFlags(name: string, files: PodFiles): string[] {
  return [
    '--rm', `--name=${name}`, '--timeout=1800',
    '--user=10001:10001', '--read-only', '--read-only-tmpfs=false', '--tmpfs=/tmp:rw,size=64m,mode=1777',
    '--cap-drop=ALL', '--security-opt=no-new-privileges', '--memory=256m', '--memory-swap=256m', '--network=host',
    `--volume=${files.dir}/tls:/etc/netpol-hygiene/tls:ro`, `--volume=${files.dir}/config:/etc/netpol-hygiene/config:ro`,
    ...(files.kubeconfig === undefined ? [] : [`--volume=${files.dir}/kubeconfig:/etc/netpol-hygiene/kubeconfig:ro`]),
    '--env=POD_NAMESPACE=netpol-hygiene', `--env=POD_NAME=${name}`,
  ];
}

function containerName(): string {
  return `netpol-hygiene-image-${randomBytes(4).toString('hex')}`;
}

/** A one-off command in the image (its entrypoint, the given arguments), run as the Deployment's pod. */
export function runInImage(image: BuiltImage, files: PodFiles, args: readonly string[]): Promise<RunResult> {
  return podman(['run', ...deploymentFlags(containerName(), files), image.id, ...args]);
}

export interface ServingContainer {
  readonly name: string;
  readonly port: number;
  /** The podman client in the foreground: its exit is the container's exit. */
  readonly process: ManagedProcess;
  /** The webhook process (pid 1 in the container) as the host sees it, once it runs. */
  pid(): Promise<number | undefined>;
  request(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** SIGTERM through podman (as the kubelet stops a pod), then removes the container. Idempotent. */
  stop(): Promise<number | null>;
}

/** `serve` with the Deployment's arguments, in the image, as the Deployment's pod runs. */
export async function serveInImage(image: BuiltImage, files: PodFiles, logPath: string): Promise<ServingContainer> {
  const name = containerName();
  const port = await freePort();
  const args = [
    'serve', `--port=${port}`, '--tls-cert=/etc/netpol-hygiene/tls/tls.crt', '--tls-key=/etc/netpol-hygiene/tls/tls.key',
    '--config=/etc/netpol-hygiene/config/config.yaml',
    ...(files.kubeconfig === undefined ? [] : [`--kubeconfig=${files.kubeconfig}`]),
  ];
  const child = spawnManaged({
    name, command: 'podman', args: [`--runtime=${RUNC}`, 'run', ...deploymentFlags(name, files), image.id, ...args], env: containersEnv, logPath,
  });
  let stopped: Promise<number | null> | undefined;
  return {
    name, port, process: child,
    async pid() {
      const inspected = await podman(['container', 'inspect', '--format={{.State.Pid}}', name]);
      const pid = Number(inspected.stdout.trim());
      return inspected.code === 0 && pid > 0 ? pid : undefined;
    },
    request: (method, path, body) => tlsRequest(`https://127.0.0.1:${port}`, { ca: files.caPem }, method, path, body),
    stop() {
      stopped ??= (async () => {
        // The webhook keeps serving for its shutdown delay (5 s) after SIGTERM; podman's own
        // grace period (10 s) covers it.
        const status = await child.stop(30_000);
        await podman(['rm', '--force', '--ignore', name]);
        return status.code;
      })();
      return stopped;
    },
  };
}
