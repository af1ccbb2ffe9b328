// A real, throw-away Kubernetes control plane for end-to-end tests: etcd, kube-apiserver and
// kube-controller-manager (no kubelet, no scheduler: pods are admitted and stored, never run).
//
// Binaries come from scripts/build-control-plane.sh (cached by version outside git). The
// harness never builds: when they are missing it fails with the command to run.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateKeyPairSync } from 'node:crypto';
import { createCertificateAuthority, issueCertificate } from '../src/certs/authority.ts';
import type { ManagedProcess, RunResult } from './processes.ts';
import { freePorts, removeDirOnExit, rssKiB, runCommand, spawnManaged } from './processes.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `-f -`). */
  readonly input?: string;
  /** Impersonate this user (--as). */
  readonly as?: string;
  /** Impersonate these groups (--as-group, repeated). */
  readonly asGroups?: readonly string[];
  /** Kill kubectl after this long (default 120 s); the result then has code 124. */
  readonly timeoutMs?: number;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface StartupTimings {
  readonly certsMs: number;
  readonly etcdMs: number;
  readonly apiserverMs: number;
  readonly controllerManagerMs: number;
  readonly totalMs: number;
}

export interface ControlPlane {
  /** Fresh temp dir holding certificates, kubeconfigs, etcd data and the components' logs. */
  readonly dir: string;
  /** Admin kubeconfig (client certificate with O=system:masters). */
  readonly kubeconfigPath: string;
  /** https://127.0.0.1:PORT */
  readonly serverUrl: string;
  /** The CA that signed the API server's serving certificate (PEM). */
  readonly caPem: string;
  readonly binDir: string;
  readonly etcdUrl: string;
  /** The CA the API server trusts for client certificates (PEM); a kubelet checks the API server's client certificate against it. */
  readonly clientCaPem: string;
  readonly pids: { readonly etcd: number; readonly apiserver: number; readonly controllerManager: number };
  readonly timings: StartupTimings;
  kubectl(args: readonly string[], opts?: KubectlOptions): Promise<RunResult>;
  /** A raw request to the API server with the admin client certificate. */
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse>;
  /**
   * Writes a kubeconfig at path for a new client certificate (CN user, O groups) signed by the
   * client CA: a component's own identity (a kubelet's system:node:NAME, a scheduler's
   * system:kube-scheduler), authorised by RBAC like any other user.
   */
  writeKubeconfig(path: string, user: string, groups?: readonly string[]): Promise<void>;
  /** VmRSS in KiB of each component (undefined once it has exited). */
  rss(): { etcd?: number; apiserver?: number; controllerManager?: number };
  /** Stops every component (SIGTERM, then SIGKILL) and removes dir unless NETPOL_HYGIENE_KEEP_E2E=1. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly log?: (line: string) => void;
  /** More kube-apiserver flags, e.g. --admission-control-config-file. */
  readonly apiServerArgs?: readonly string[];
  /** More kube-controller-manager controllers (a node needs node-ipam-controller, node-lifecycle-controller). */
  readonly controllers?: readonly string[];
  /** More kube-controller-manager flags (e.g. --allocate-node-cidrs, --cluster-cidr). */
  readonly controllerManagerArgs?: readonly string[];
}

const KUBERNETES_CONTROLLERS = [
  'serviceaccount-token-controller',
  'serviceaccount-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'deployment-controller',
  'replicaset-controller',
  'clusterrole-aggregation-controller',
  'root-ca-certificate-publisher-controller',
];

const keep = () => process.env.NETPOL_HYGIENE_KEEP_E2E === '1';

/**
 * Finds the control-plane binaries. Runs scripts/build-control-plane.sh only when every binary is
 * already in its cache dir (the script then only prints the dir); otherwise it would start a
 * build of many minutes, so this throws instead.
 */
export async function findControlPlaneBinaries(): Promise<string> {
  const wanted = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'];
  const override = process.env.NETPOL_HYGIENE_CONTROL_PLANE_BIN;
  const expected = override ?? expectedBinDir();
  const missing = wanted.filter((b) => !existsSync(join(expected, b)));
  if (missing.length > 0) {
    throw new Error(
      `e2e: control-plane binaries missing in ${expected} (${missing.join(', ')}). ` +
        'Build them once with `npm run cluster:build` (scripts/build-control-plane.sh; about 7 minutes cold on 2 cores), then re-run the tests.',
    );
  }
  if (override) return override;
  let dir: string;
  try {
    const { stdout } = await promisify(execFile)(join(repoRoot, 'scripts/build-control-plane.sh'), [], {
      cwd: repoRoot,
      timeout: 60_000,
    });
    dir = stdout.trim().split('\n').pop() ?? '';
  } catch {
    // The script insists on `go` being on PATH even when everything is cached; the binaries are there.
    dir = expected;
  }
  if (!dir || wanted.some((b) => !existsSync(join(dir, b)))) {
    throw new Error(`e2e: scripts/build-control-plane.sh printed ${JSON.stringify(dir)}, which does not hold ${wanted.join(', ')}`);
  }
  return dir;
}

/** The dir scripts/build-control-plane.sh uses, computed the same way (without running it). */
function expectedBinDir(): string {
  const env = readFileSync(join(repoRoot, 'scripts/control-plane-versions.env'), 'utf8');
  const value = (key: string) => {
    const m = new RegExp(`^${key}=(\\S+)`, 'm').exec(env);
    if (!m?.[1]) throw new Error(`e2e: ${key} not found in scripts/control-plane-versions.env`);
    return m[1];
  };
  const cacheRoot =
    process.env.NETPOL_HYGIENE_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'netpol-hygiene');
  return join(cacheRoot, 'control-plane', `kubernetes-${value('KUBERNETES_VERSION')}-etcd-${value('ETCD_VERSION')}`);
}

export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const log = options.log ?? (() => {});
  const t0 = performance.now();
  const binDir = await findControlPlaneBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'netpol-hygiene-e2e-'));
  const forgetDir = keep() ? () => {} : removeDirOnExit(dir);
  const started: ManagedProcess[] = [];
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // Reverse start order: the controller manager and API server first, etcd last.
      for (const p of [...started].reverse()) await p.stop(5000);
      if (keep()) log(`control plane stopped; kept ${dir} (NETPOL_HYGIENE_KEEP_E2E=1)`);
      else await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      // Only now: a SIGINT that exits the process while rm runs must still find the dir registered.
      forgetDir();
    })();
    return stopped;
  };

  try {
    // --- certificates and keys -------------------------------------------------------------
    const tCerts = performance.now();
    const pki = join(dir, 'pki');
    await mkdir(pki, { recursive: true });
    const servingCa = await createCertificateAuthority('netpol-hygiene-e2e-apiserver-ca', 7);
    const clientCa = await createCertificateAuthority('netpol-hygiene-e2e-client-ca', 7);
    const serving = await issueCertificate(servingCa, {
      commonName: 'kube-apiserver',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ipAddresses: ['127.0.0.1', '10.0.0.1'],
      usage: 'server',
      days: 7,
    });
    const admin = await issueCertificate(clientCa, { commonName: 'e2e-admin', organizations: ['system:masters'], usage: 'client', days: 7 });
    // The controller manager runs as itself, and its controllers as their own service accounts
    // (--use-service-account-credentials), as kubeadm does: the namespace controller's requests
    // reach the webhook as system:serviceaccount:kube-system:namespace-controller.
    const kcm = await issueCertificate(clientCa, { commonName: 'system:kube-controller-manager', usage: 'client', days: 7 });
    // What the API server shows a kubelet (exec, logs), as kubeadm's apiserver-kubelet-client.
    const kubeletClient = await issueCertificate(clientCa, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client', days: 7 });
    const saKeys = rsaKeyPairPem();
    const files = {
      servingCa: join(pki, 'serving-ca.crt'),
      clientCa: join(pki, 'client-ca.crt'),
      servingCert: join(pki, 'apiserver.crt'),
      servingKey: join(pki, 'apiserver.key'),
      saPub: join(pki, 'sa.pub'),
      saKey: join(pki, 'sa.key'),
      kubeletClientCert: join(pki, 'apiserver-kubelet-client.crt'),
      kubeletClientKey: join(pki, 'apiserver-kubelet-client.key'),
    };
    await Promise.all([
      writeFile(files.servingCa, servingCa.certPem),
      writeFile(files.clientCa, clientCa.certPem),
      writeFile(files.servingCert, serving.certPem),
      writeFile(files.servingKey, serving.keyPem, { mode: 0o600 }),
      writeFile(files.saPub, saKeys.publicKeyPem),
      writeFile(files.saKey, saKeys.privateKeyPem, { mode: 0o600 }),
      writeFile(files.kubeletClientCert, kubeletClient.certPem),
      writeFile(files.kubeletClientKey, kubeletClient.keyPem, { mode: 0o600 }),
    ]);
    const [etcdClientPort, etcdPeerPort, apiPort] = (await freePorts(3)) as [number, number, number];
    const serverUrl = `https://127.0.0.1:${apiPort}`;
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    const kcmKubeconfigPath = join(dir, 'kube-controller-manager.kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig(serverUrl, servingCa.certPem, 'e2e-admin', admin.certPem, admin.keyPem), { mode: 0o600 });
    await writeFile(kcmKubeconfigPath, kubeconfig(serverUrl, servingCa.certPem, 'system:kube-controller-manager', kcm.certPem, kcm.keyPem), {
      mode: 0o600,
    });
    const certsMs = performance.now() - tCerts;
    log(`control plane: certificates and keys in ${ms(certsMs)} (dir ${dir})`);

    // --- etcd --------------------------------------------------------------------------------
    const tEtcd = performance.now();
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = spawnManaged({
      name: 'etcd',
      command: join(binDir, 'etcd'),
      args: [
        '--name=e2e',
        `--data-dir=${join(dir, 'etcd-data')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=e2e=${peerUrl}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      logPath: join(dir, 'etcd.log'),
    });
    started.push(etcd);
    await waitFor('etcd /health', 30_000, [etcd], async () => {
      const res = await plainGet(`${etcdUrl}/health`);
      return res.status === 200 && /"health":\s*"true"/.test(res.body);
    });
    const etcdMs = performance.now() - tEtcd;
    log(`control plane: etcd healthy in ${ms(etcdMs)} (pid ${etcd.pid})`);

    // --- kube-apiserver ----------------------------------------------------------------------
    const tApi = performance.now();
    const apiserver = spawnManaged({
      name: 'kube-apiserver',
      command: join(binDir, 'kube-apiserver'),
      args: [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        '--advertise-address=127.0.0.1',
        '--endpoint-reconciler-type=none',
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${files.servingCert}`,
        `--tls-private-key-file=${files.servingKey}`,
        `--client-ca-file=${files.clientCa}`,
        '--authorization-mode=Node,RBAC',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${files.saPub}`,
        `--service-account-signing-key-file=${files.saKey}`,
        '--allow-privileged=true',
        `--kubelet-client-certificate=${files.kubeletClientCert}`,
        `--kubelet-client-key=${files.kubeletClientKey}`,
        '--profiling=false',
        // Defaults keep ServiceAccount, NamespaceLifecycle and both webhook admission plugins on.
        ...(options.apiServerArgs ?? []),
      ],
      logPath: join(dir, 'kube-apiserver.log'),
    });
    started.push(apiserver);
    const tls = { ca: servingCa.certPem, cert: admin.certPem, key: admin.keyPem };
    const api = (method: string, path: string, body?: unknown, contentType?: string) =>
      tlsRequest(serverUrl, tls, method, path, body, contentType);
    await waitFor('kube-apiserver /readyz', 120_000, [etcd, apiserver], async () => (await api('GET', '/readyz')).status === 200);
    const apiserverMs = performance.now() - tApi;
    log(`control plane: kube-apiserver ready in ${ms(apiserverMs)} (pid ${apiserver.pid}, ${serverUrl})`);

    // --- kube-controller-manager -------------------------------------------------------------
    const tKcm = performance.now();
    const controllerManager = spawnManaged({
      name: 'kube-controller-manager',
      command: join(binDir, 'kube-controller-manager'),
      args: [
        `--kubeconfig=${kcmKubeconfigPath}`,
        '--secure-port=0',
        '--leader-elect=false',
        `--controllers=${[...KUBERNETES_CONTROLLERS, ...(options.controllers ?? [])].join(',')}`,
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${files.saKey}`,
        `--root-ca-file=${files.servingCa}`,
        '--profiling=false',
        ...(options.controllerManagerArgs ?? []),
      ],
      logPath: join(dir, 'kube-controller-manager.log'),
    });
    started.push(controllerManager);
    const all = [etcd, apiserver, controllerManager];
    await waitFor('the default ServiceAccount in namespace default', 90_000, all, async () =>
      (await api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
    );
    await waitFor('ConfigMap kube-root-ca.crt in namespace default', 30_000, all, async () =>
      (await api('GET', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt')).status === 200,
    );
    const controllerManagerMs = performance.now() - tKcm;
    log(`control plane: kube-controller-manager up (default ServiceAccount exists) in ${ms(controllerManagerMs)} (pid ${controllerManager.pid})`);
    const totalMs = performance.now() - t0;
    log(`control plane: started in ${ms(totalMs)}`);

    const kubectlPath = join(binDir, 'kubectl');
    return {
      dir,
      kubeconfigPath,
      serverUrl,
      caPem: servingCa.certPem,
      binDir,
      etcdUrl,
      clientCaPem: clientCa.certPem,
      pids: { etcd: etcd.pid, apiserver: apiserver.pid, controllerManager: controllerManager.pid },
      timings: { certsMs, etcdMs, apiserverMs, controllerManagerMs, totalMs },
      kubectl(args, opts = {}) {
        const impersonation = [
          ...(opts.as !== undefined ? [`--as=${opts.as}`] : []),
          ...(opts.asGroups ?? []).map((g) => `--as-group=${g}`),
        ];
        return runCommand(kubectlPath, [`--kubeconfig=${kubeconfigPath}`, ...impersonation, ...args], {
          input: opts.input,
          timeoutMs: opts.timeoutMs ?? 120_000,
        });
      },
      api,
      async writeKubeconfig(path, user, groups = []) {
        const client = await issueCertificate(clientCa, { commonName: user, organizations: [...groups], usage: 'client', days: 7 });
        await writeFile(path, kubeconfig(serverUrl, servingCa.certPem, user, client.certPem, client.keyPem), { mode: 0o600 });
      },
      rss: () => ({ etcd: rssKiB(etcd.pid), apiserver: rssKiB(apiserver.pid), controllerManager: rssKiB(controllerManager.pid) }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function kubeconfig(server: string, caPem: string, user: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  // JSON is YAML: kubectl and @kubernetes/client-node both read it.
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
      users: [{ name: user, user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) } }],
      contexts: [{ name: 'e2e', context: { cluster: 'e2e', user, namespace: 'default' } }],
      'current-context': 'e2e',
    },
    null,
    2,
  )}\n`;
}

/**
 * Polls check() every 250 ms until it returns true. Fails early, with the log tail, when one of
 * the processes exits; on timeout the error carries every process's log tail.
 */
export async function waitFor(
  what: string,
  timeoutMs: number,
  processes: readonly ManagedProcess[],
  check: () => Promise<boolean>,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    const dead = processes.find((p) => p.exitStatus() !== undefined);
    if (dead) {
      const s = dead.exitStatus();
      throw new Error(
        `e2e: ${dead.name} exited (code ${s?.code}, signal ${s?.signal}) while waiting for ${what}.\n` +
          `--- tail of ${dead.logPath} ---\n${dead.tail(60)}`,
      );
    }
    try {
      if (await check()) return;
      lastError = '';
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const tails = processes.map((p) => `--- tail of ${p.logPath} ---\n${p.tail(30)}`).join('\n');
      throw new Error(`e2e: timed out after ${timeoutMs}ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}\n${tails}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function plainGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export function tlsRequest(
  baseUrl: string,
  tls: { ca: string; cert?: string; key?: string },
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiResponse> {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = httpsRequest(
      new URL(path, baseUrl),
      {
        method,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        timeout: 10_000,
        agent: false,
        headers: {
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolvePromise({ status: res.statusCode ?? 0, body: text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function ms(value: number): string {
  return `${Math.round(value)}ms`;
}

/** The API server's service-account token signing key pair, as PEM. */
function rsaKeyPairPem(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
