/**
 * The two webhooks bench/apiserver.ts puts behind kube-apiserver, run as the image runs node
 * (compiled JavaScript, the ENTRYPOINT's flags, the pod's heap size, the image's environment):
 *
 * - `serve`: the product, `dist/cli/main.js serve` as built by `npm run build`;
 * - the no-op: bench/noop-webhook.ts, compiled into bench/.build.
 *
 * And which of them kube-apiserver calls: our webhook configurations (manifests/base), every
 * clientConfig pointed at one server, or none registered at all.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority, issueCertificate } from '../src/certs/authority.ts';
import { type ControlPlane, tlsRequest, waitFor } from '../harness/control-plane.ts';
import { freePort } from '../harness/processes.ts';
import { webhookConfigurations } from '../harness/webhook.ts';
import type { ChildMessage, ChildStats, ParentMessage } from './child.ts';
import { containerLogPipe, logLines } from './container-log.ts';
import { imageEnvironment, imageNodeFlags, podHeapMiB } from './image-runtime.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface ServingTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caPem: string;
}

/** One serving certificate for 127.0.0.1, shared by both servers (the registration's caBundle either way). */
export async function writeServingTls(dir: string): Promise<ServingTls> {
  const ca = await createCertificateAuthority('netpol-hygiene apiserver bench CA', 1);
  const leaf = await issueCertificate(ca, { commonName: 'netpol-hygiene-bench', ipAddresses: ['127.0.0.1'], usage: 'server', days: 1 });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, leaf.certPem);
  writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
  return { certFile, keyFile, caPem: ca.certPem };
}

/** `npm run build` (dist/, what the image ships) and the bench's own servers; the scripts to run. */
export function buildScripts(): { serve: string; noop: string } {
  const tsc = join(repoRoot, 'node_modules', '.bin', 'tsc');
  execFileSync(tsc, ['-p', join(repoRoot, 'tsconfig.build.json')], { stdio: 'inherit' });
  execFileSync(tsc, ['-p', join(repoRoot, 'bench', 'tsconfig.build.json')], { stdio: 'inherit' });
  return { serve: join(repoRoot, 'dist', 'cli', 'main.js'), noop: join(repoRoot, 'bench', '.build', 'bench', 'noop-webhook.js') };
}

/** The image's node: its ENTRYPOINT flags, and the heap Node derives from the Deployment's 256Mi limit. */
const nodeArgs = [`--max-heap-size=${podHeapMiB}`, ...imageNodeFlags];
const imageEnv = { NODE_ENV: 'production', ...imageEnvironment };

/** Admission reviews of pods a server has answered so far, per webhook. */
export interface Answered {
  readonly mutate: number;
  readonly validate: number;
}

export interface BenchWebhook {
  readonly name: 'serve' | 'noop';
  readonly pid: number;
  readonly port: number;
  answered(): Promise<Answered>;
  stop(): Promise<void>;
}

/** What serve wrote to stdout: audit records of pod admissions per webhook, and every line. */
export interface ServeOutput {
  readonly podAudits: { mutate: number; validate: number };
  lines: number;
  auditLines: number;
  /** The operational log's last lines (not audit records), to show what serve said. */
  readonly recent: string[];
}

export interface ServeWebhook extends BenchWebhook {
  /** Counted up to the last call of `read`. */
  readonly output: ServeOutput;
  /** Counts the lines serve has written since the last call. */
  read(): ServeOutput;
  readonly logPath: string;
}

function countLine(output: ServeOutput, line: string): void {
  output.lines++;
  if (!line.includes('"audit":true')) {
    output.recent.push(line.slice(0, 400));
    if (output.recent.length > 20) output.recent.shift();
    return;
  }
  output.auditLines++;
  if (!line.includes('"kind":"Pod"')) return;
  if (line.includes('"webhook":"mutate"')) output.podAudits.mutate++;
  else if (line.includes('"webhook":"validate"')) output.podAudits.validate++;
}

/**
 * `serve` from dist/ against the control plane with the admin kubeconfig. Its stdout goes
 * where a container runtime puts it: a FIFO drained by `cat` into a file (bench/container-log.ts),
 * read from here only when counts are asked for. Resolves once /readyz says its caches are synced.
 */
export async function startServe(cp: ControlPlane, tls: ServingTls, script: string, work: string, profileDir?: string): Promise<ServeWebhook> {
  const port = await freePort();
  const output: ServeOutput = { podAudits: { mutate: 0, validate: 0 }, lines: 0, auditLines: 0, recent: [] };
  const stdoutPath = join(work, 'serve-stdout.log');
  const logPath = join(work, 'serve-stderr.log');
  const log = containerLogPipe(stdoutPath);
  const newLines = logLines(stdoutPath);
  const read = (): ServeOutput => {
    for (const line of newLines()) countLine(output, line);
    return output;
  };
  const profile = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const args = [...nodeArgs, ...profile, script, 'serve', '--port', String(port), '--host', '127.0.0.1', '--tls-cert', tls.certFile, '--tls-key', tls.keyFile, '--kubeconfig', cp.kubeconfigPath, '--shutdown-delay-seconds', '0'];
  const { NETPOL_HYGIENE_CONFIG: _config, KUBECONFIG: _kubeconfig, ...env } = process.env;
  // Loopback traffic to kube-apiserver never goes through a proxy.
  const noProxy = ['127.0.0.1', 'localhost', env.NO_PROXY].filter(Boolean).join(',');
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', log.writeFd, openSync(logPath, 'w')], env: { ...env, ...imageEnv, NO_PROXY: noProxy, no_proxy: noProxy } });
  closeSync(log.writeFd);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
    log.drain.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`serve https://127.0.0.1:${port}/readyz (its stderr: ${logPath})`, 60_000, [], async () => {
    if (child.exitCode !== null) throw new Error(`serve exited (${child.exitCode}); its stderr is in ${logPath}`);
    return (await tlsRequest(`https://127.0.0.1:${port}`, { ca: tls.caPem }, 'GET', '/readyz').catch(() => ({ status: 0 }))).status === 200;
  });
  return {
    name: 'serve',
    pid: child.pid as number,
    port,
    output,
    read,
    logPath,
    answered: () => Promise.resolve({ ...read().podAudits }),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      await log.drained;
      process.off('exit', killOnExit);
      read();
    },
  };
}

function nextMessage<T extends ChildMessage['type']>(child: ChildProcess, type: T): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no-op webhook: no ${type} message within 30 s`)), 30_000);
    const onMessage = (message: ChildMessage): void => {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as Extract<ChildMessage, { type: T }>);
    };
    child.on('message', onMessage);
  });
}

/** The no-op webhook, compiled, with serve's node flags and environment; it reports its port and counts over IPC. */
export async function startNoop(tls: ServingTls, script: string, profileDir?: string): Promise<BenchWebhook> {
  const profile = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const child = spawn(process.execPath, [...nodeArgs, ...profile, script, '--tls-cert', tls.certFile, '--tls-key', tls.keyFile], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ...imageEnv } });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { port } = await nextMessage(child, 'listening');
  const send = (message: ParentMessage): boolean => child.send(message);
  return {
    name: 'noop',
    pid: child.pid as number,
    port,
    async answered() {
      const reply = nextMessage(child, 'stats');
      send({ type: 'stats' });
      const { counters } = (await reply).stats as ChildStats;
      return { mutate: counters.mutate ?? 0, validate: counters.validate ?? 0 };
    },
    async stop() {
      if (child.exitCode === null) send({ type: 'shutdown' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      process.off('exit', killOnExit);
    },
  };
}

/** `noop-annotating`: the no-op, its mutating pod webhook answering with the tier-source annotation patch. */
export type Registered = 'none' | 'noop' | 'serve' | 'noop-annotating';

/** The server a registration calls. */
export function serverOf(registered: Registered): 'serve' | 'noop' | undefined {
  return registered === 'none' ? undefined : registered === 'serve' ? 'serve' : 'noop';
}

/** Our configurations, every clientConfig pointed at the registration's server (noop-annotating: mutate-pods at its patching route). */
async function configurationsFor(target: Exclude<Registered, 'none'>, servers: Record<'serve' | 'noop', BenchWebhook>, caPem: string): Promise<Record<string, unknown>[]> {
  const objects = await webhookConfigurations({ port: servers[serverOf(target) ?? 'noop'].port, caPem });
  if (target !== 'noop-annotating') return objects;
  for (const object of objects) {
    for (const hook of (object.webhooks as { name: string; clientConfig: { url: string } }[]) ?? []) {
      if (hook.name === 'mutate-pods.netpol-hygiene.io') hook.clientConfig.url = hook.clientConfig.url.replace(/\/mutate$/, '/mutate-annotating');
    }
  }
  return objects;
}

const configurationNames = ['mutatingwebhookconfiguration/netpol-hygiene', 'validatingwebhookconfiguration/netpol-hygiene'];

/**
 * Registers our webhook configurations with every clientConfig pointed at `target`, or deletes
 * them, then waits until kube-apiserver calls exactly that server: three dry-run pod creates
 * in a row answered by it alone (mutating and validating), so that neither configuration is
 * still served from kube-apiserver's previous view of it.
 */
export async function register(cp: ControlPlane, target: Registered, servers: Record<'serve' | 'noop', BenchWebhook>, caPem: string, probeNamespace: string): Promise<void> {
  if (target === 'none') {
    const deleted = await cp.kubectl(['delete', '--ignore-not-found', ...configurationNames]);
    if (deleted.code !== 0) throw new Error(`deleting the webhook configurations failed: ${deleted.stderr}`);
  } else {
    const objects = await configurationsFor(target, servers, caPem);
    const applied = await cp.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=bench', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
    if (applied.code !== 0) throw new Error(`applying the webhook configurations failed: ${applied.stderr}`);
  }
  let inARow = 0;
  let attempt = 0;
  await waitFor(`kube-apiserver calling ${target === 'none' ? 'no webhook' : target}`, 60_000, [], async () => {
    const calls = await probe(cp, servers, probeNamespace, `probe-${target}-${attempt++}`);
    const expected = (name: 'serve' | 'noop'): number => (name === serverOf(target) ? 1 : 0);
    const exact = (['serve', 'noop'] as const).every((name) => calls[name].mutate === expected(name) && calls[name].validate === expected(name));
    inARow = exact ? inARow + 1 : 0;
    return inARow >= 3;
  }, 100);
}

/** Which server answered one dry-run pod create (a dry run changes nothing in the cluster). */
async function probe(cp: ControlPlane, servers: Record<'serve' | 'noop', BenchWebhook>, namespace: string, name: string): Promise<Record<'serve' | 'noop', Answered>> {
  const before = { serve: await servers.serve.answered(), noop: await servers.noop.answered() };
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { tier: 'ui' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } };
  // Whatever the answer (serve refuses a pod in a namespace without its baseline), the calls are what count.
  await cp.api('POST', `/api/v1/namespaces/${namespace}/pods?dryRun=All`, pod);
  // serve's audit record follows its response by a moment: wait for it rather than miss it.
  const settled = async (server: BenchWebhook, was: Answered): Promise<Answered> => {
    for (let i = 0; i < 20; i++) {
      const now = await server.answered();
      if (now.mutate > was.mutate && now.validate > was.validate) return now;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return server.answered();
  };
  const after = { serve: await settled(servers.serve, before.serve), noop: await settled(servers.noop, before.noop) };
  const delta = (key: 'serve' | 'noop'): Answered => ({ mutate: after[key].mutate - before[key].mutate, validate: after[key].validate - before[key].validate });
  return { serve: delta('serve'), noop: delta('noop') };
}
