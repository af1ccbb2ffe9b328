// Runs the real webhook (`node src/cli/main.ts serve`) against a harness control plane, and
// registers the repository's own webhook configurations (manifests/base/webhooks.yaml) with
// clientConfig pointed at it.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createCertificateAuthority, issueCertificate } from '../src/certs/authority.ts';
import type { ControlPlane } from './control-plane.ts';
import { repoRoot, tlsRequest, waitFor } from './control-plane.ts';
import type { ExitStatus, ManagedProcess } from './processes.ts';
import { freePort, rssKiB, spawnManaged } from './processes.ts';

export const PROFILE_LABEL = 'netpol-hygiene.io/profile';

/** A stdout line of the webhook: the parsed JSON object, or the raw text when it is not JSON. */
export type WebhookLine = Record<string, unknown> | string;

export interface WebhookOptions {
  readonly configPath?: string;
  readonly extraArgs?: readonly string[];
  readonly env?: Record<string, string>;
  /** Listen on this port (e.g. to restart on the port the registration points at); default: a free one. */
  readonly port?: number;
  /** How long to wait for /healthz (default 30 s). */
  readonly readyTimeoutMs?: number;
  /**
   * The webhook's own namespace (config webhook.namespace), created first when missing, as an
   * installation would have it: the reconciler's leader-election Lease lives there. Default
   * `netpol-hygiene`; false to skip.
   */
  readonly namespace?: string | false;
  /** The webhook's own credentials; default the admin kubeconfig. */
  readonly kubeconfigPath?: string;
}

export interface Webhook {
  readonly port: number;
  /** The CA that signed the serving certificate (PEM); the caBundle of the registration. */
  readonly caPem: string;
  readonly pid: number;
  readonly tlsDir: string;
  readonly logPath: string;
  /** https://127.0.0.1:PORT + path */
  url(path: string): string;
  /** Every stdout line so far (a live array: later lines are appended to it). */
  lines(): WebhookLine[];
  /** The audit records so far (lines with `audit: true`). */
  auditRecords(): Record<string, unknown>[];
  /** The first audit record (already written or future) that matches: records follow their response by a few ms. */
  auditRecord(predicate: (record: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the first line (already seen or future) that matches; rejects after timeoutMs. */
  waitForLine(predicate: (line: WebhookLine) => boolean, timeoutMs?: number): Promise<WebhookLine>;
  /** A request to the webhook over HTTPS, verified against caPem. */
  request(method: string, path: string, body?: unknown, contentType?: string): ReturnType<typeof tlsRequest>;
  rss(): number | undefined;
  exitStatus(): ExitStatus | undefined;
  /** SIGTERM, wait for exit, SIGKILL after 5 s. Idempotent. */
  stop(): Promise<ExitStatus>;
}

interface WebhookTls {
  readonly dir: string;
  readonly caPem: string;
  readonly certPath: string;
  readonly keyPath: string;
}

// One CA per control plane, so a restarted webhook still matches the registered caBundle.
const tlsByControlPlane = new WeakMap<ControlPlane, Promise<WebhookTls>>();

function webhookTls(cp: ControlPlane): Promise<WebhookTls> {
  let tls = tlsByControlPlane.get(cp);
  if (!tls) {
    tls = (async () => {
      const dir = join(cp.dir, 'webhook-tls');
      await mkdir(dir, { recursive: true });
      const ca = await createCertificateAuthority('netpol-hygiene-e2e-webhook-ca', 7);
      const serving = await issueCertificate(ca, {
        commonName: 'netpol-hygiene-e2e-webhook',
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        usage: 'server',
        days: 7,
      });
      const certPath = join(dir, 'tls.crt');
      const keyPath = join(dir, 'tls.key');
      await Promise.all([
        writeFile(certPath, serving.certPem),
        writeFile(keyPath, serving.keyPem, { mode: 0o600 }),
        writeFile(join(dir, 'ca.crt'), ca.certPem),
      ]);
      return { dir, caPem: ca.certPem, certPath, keyPath };
    })();
    tlsByControlPlane.set(cp, tls);
  }
  return tls;
}

let webhookCount = 0;

export async function startWebhook(cp: ControlPlane, options: WebhookOptions = {}): Promise<Webhook> {
  const tls = await webhookTls(cp);
  const namespace = options.namespace ?? 'netpol-hygiene';
  if (namespace !== false) await ensureNamespace(cp, namespace);
  const port = options.port ?? (await freePort());
  const lines: WebhookLine[] = [];
  const waiters = new Set<{ predicate: (line: WebhookLine) => boolean; resolve: (line: WebhookLine) => void }>();
  const index = webhookCount++;
  const logPath = join(cp.dir, index === 0 ? 'webhook.log' : `webhook-${index}.log`);
  const args = [
    join(repoRoot, 'src/cli/main.ts'),
    'serve',
    '--port',
    String(port),
    '--tls-cert',
    tls.certPath,
    '--tls-key',
    tls.keyPath,
    '--kubeconfig',
    options.kubeconfigPath ?? cp.kubeconfigPath,
    '--host',
    '127.0.0.1',
    // No endpoints to drain here: stop at once.
    '--shutdown-delay-seconds',
    '0',
    ...(options.configPath ? ['--config', options.configPath] : []),
    ...(options.extraArgs ?? []),
  ];
  const child: ManagedProcess = spawnManaged({
    name: 'webhook',
    command: join(repoRoot, 'node_modules/.bin/node'),
    args,
    cwd: repoRoot,
    env: { NETPOL_HYGIENE_CONFIG: undefined, ...options.env },
    logPath,
    onStdoutLine(text) {
      const line = parseLine(text);
      lines.push(line);
      for (const w of waiters) {
        if (w.predicate(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    },
  });
  const base = `https://127.0.0.1:${port}`;
  const request = (method: string, path: string, body?: unknown, contentType?: string) =>
    tlsRequest(base, { ca: tls.caPem }, method, path, body, contentType);

  const webhook: Webhook = {
    port,
    caPem: tls.caPem,
    pid: child.pid,
    tlsDir: tls.dir,
    logPath,
    url: (path) => `${base}${path.startsWith('/') ? path : `/${path}`}`,
    lines: () => lines,
    auditRecords: () => lines.filter((l): l is Record<string, unknown> => typeof l === 'object' && l.audit === true),
    async auditRecord(predicate, timeoutMs) {
      const isRecord = (line: WebhookLine): line is Record<string, unknown> => typeof line === 'object' && line.audit === true;
      return (await webhook.waitForLine((line) => isRecord(line) && predicate(line), timeoutMs)) as Record<string, unknown>;
    },
    waitForLine(predicate, timeoutMs = 10_000) {
      const seen = lines.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (line: WebhookLine) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`webhook: no matching stdout line within ${timeoutMs}ms; last lines:\n${lines.slice(-10).map(show).join('\n')}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    request,
    rss: () => rssKiB(child.pid),
    exitStatus: () => child.exitStatus(),
    stop: () => child.stop(5000),
  };

  try {
    await waitFor(`webhook https://127.0.0.1:${port}/healthz`, options.readyTimeoutMs ?? 30_000, [child], async () => {
      return (await request('GET', '/healthz')).status === 200;
    });
  } catch (err) {
    await child.stop(2000);
    throw err;
  }
  return webhook;
}

export interface RegisterOptions {
  /** Default: manifests/base/webhooks.yaml */
  readonly manifestPath?: string;
  /** Edit each webhook configuration object after clientConfig is replaced (e.g. change failurePolicy). */
  readonly transform?: (configuration: Record<string, unknown>) => void;
  /** How long to wait for the API server to call the webhook (default 30 s). */
  readonly timeoutMs?: number;
}

export interface Registration {
  /** The objects that were applied. */
  readonly objects: Record<string, unknown>[];
  /** How long until a dry-run Namespace came back with the profile label. */
  readonly liveAfterMs: number;
  /** Whether the webhook's audit log also showed the validating call for the probe (waited for up to 5 s). */
  readonly validatingSeen: boolean;
}

const WEBHOOK_KINDS = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

/** The webhook configurations of the manifest, with every clientConfig pointed at the running webhook. */
export async function webhookConfigurations(webhook: Pick<Webhook, 'port' | 'caPem'>, manifestPath?: string): Promise<Record<string, unknown>[]> {
  const path = manifestPath ?? join(repoRoot, 'manifests/base/webhooks.yaml');
  const text = await readFile(path, 'utf8');
  const objects: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const obj = doc.toJS() as unknown;
    if (!isRecord(obj) || !WEBHOOK_KINDS.has(String(obj.kind))) continue;
    const hooks = obj.webhooks;
    if (!Array.isArray(hooks) || hooks.length === 0) throw new Error(`${path}: ${String(obj.kind)} has no webhooks`);
    for (const hook of hooks) {
      if (!isRecord(hook)) throw new Error(`${path}: a webhook entry of ${String(obj.kind)} is not an object`);
      const clientConfig = isRecord(hook.clientConfig) ? hook.clientConfig : {};
      const service = isRecord(clientConfig.service) ? clientConfig.service : {};
      const servicePath = typeof service.path === 'string' ? service.path : '/';
      hook.clientConfig = {
        url: `https://127.0.0.1:${webhook.port}${servicePath}`,
        caBundle: Buffer.from(webhook.caPem).toString('base64'),
      };
    }
    objects.push(obj);
  }
  const kinds = new Set(objects.map((o) => String(o.kind)));
  for (const kind of WEBHOOK_KINDS) {
    if (!kinds.has(kind)) throw new Error(`${path}: no ${kind} found`);
  }
  return objects;
}

/**
 * Applies the repository's webhook configurations (clientConfig → the running webhook) with
 * server-side apply, then waits until the API server actually calls the webhook: a server-side
 * dry-run Namespace create must come back with the profile label the mutating webhook adds.
 */
export async function registerWebhooks(cp: ControlPlane, webhook: Webhook, options: RegisterOptions = {}): Promise<Registration> {
  const objects = await webhookConfigurations(webhook, options.manifestPath);
  for (const obj of objects) options.transform?.(obj);
  const list = { apiVersion: 'v1', kind: 'List', items: objects };
  const applied = await cp.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=e2e-harness', '-f', '-'], {
    input: JSON.stringify(list),
  });
  if (applied.code !== 0) throw new Error(`kubectl apply of the webhook configurations failed (${applied.code}):\n${applied.stderr}${applied.stdout}`);

  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let probeName = '';
  for (let attempt = 0; ; attempt++) {
    probeName = `probe-${process.pid}-${attempt}`;
    const res = await cp.kubectl(['create', 'namespace', probeName, '--dry-run=server', '-o', 'json']);
    if (res.code === 0) {
      const labels = (JSON.parse(res.stdout) as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
      if (labels[PROFILE_LABEL]) break;
      last = `labels ${JSON.stringify(labels)}`;
    } else {
      last = res.stderr.trim();
    }
    const status = webhook.exitStatus();
    if (status) throw new Error(`webhook exited (code ${status.code}, signal ${status.signal}) before it was live; see ${webhook.logPath}`);
    if (Date.now() > deadline) {
      throw new Error(`webhook not live ${timeoutMs}ms after registration: a dry-run Namespace create never got label ${PROFILE_LABEL} (last: ${last})`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const liveAfterMs = performance.now() - started;
  // The validating configuration is watched by its own informer; it is practically always live
  // by now, but give the webhook's own log the chance to confirm it (mutate + validate records).
  const mentions = () => webhook.auditRecords().filter((r) => JSON.stringify(r).includes(probeName)).length;
  const confirmDeadline = Date.now() + 5000;
  while (mentions() < 2 && Date.now() < confirmDeadline) await new Promise((r) => setTimeout(r, 100));
  return { objects, liveAfterMs, validatingSeen: mentions() >= 2 };
}

async function ensureNamespace(cp: ControlPlane, name: string): Promise<void> {
  const res = await cp.kubectl(['create', 'namespace', name]);
  if (res.code !== 0 && !/AlreadyExists/.test(res.stderr)) {
    throw new Error(`could not create the webhook's namespace ${name}: ${res.stderr.trim()}`);
  }
}

function parseLine(text: string): WebhookLine {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return text;
  try {
    const value = JSON.parse(trimmed) as unknown;
    return isRecord(value) ? value : text;
  } catch {
    return text;
  }
}

function show(line: WebhookLine): string {
  return typeof line === 'string' ? line : JSON.stringify(line);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
