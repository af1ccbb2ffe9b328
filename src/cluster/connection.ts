import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** Where the API server is and how to authenticate to it. */
export interface Connection {
  readonly server: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly insecureSkipTlsVerify?: boolean;
  /** Re-read on every call: projected service-account tokens rotate on disk. */
  readonly token?: () => string;
  readonly source: string;
}

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * --kubeconfig, else $KUBECONFIG, else the in-cluster service account, else ~/.kube/config.
 * Covers what a webhook meets: client certificates, bearer tokens and token files. Exec and
 * auth-provider plugins are refused with a clear error rather than half-supported.
 *
 * Written here instead of using @kubernetes/client-node's KubeConfig: importing that package
 * costs 55–85 MiB of RSS (it loads every generated API model), more than half of DESIGN.md's
 * 100 MiB budget for the whole process.
 */
export function loadConnection(kubeconfigPath?: string, env: NodeJS.ProcessEnv = process.env): Connection {
  const explicit = kubeconfigPath ?? env.KUBECONFIG?.split(':')[0];
  if (explicit !== undefined && explicit !== '') return fromKubeconfig(explicit);
  if (env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_PORT !== undefined) return inCluster(env);
  return fromKubeconfig(join(homedir(), '.kube', 'config'));
}

function inCluster(env: NodeJS.ProcessEnv): Connection {
  const host = env.KUBERNETES_SERVICE_HOST as string;
  const tokenFile = join(serviceAccountDir, 'token');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT}`,
    ca: readFileSync(join(serviceAccountDir, 'ca.crt'), 'utf8'),
    token: () => readFileSync(tokenFile, 'utf8').trim(),
    source: 'in-cluster service account',
  };
}

interface Kubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user?: string } }[];
  clusters?: { name: string; cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean } }[];
  users?: { name: string; user?: Record<string, unknown> }[];
}

function fromKubeconfig(path: string): Connection {
  const document = parseYaml(readFileSync(path, 'utf8')) as Kubeconfig | null;
  const base = dirname(path);
  const contextName = document?.['current-context'];
  const context = document?.contexts?.find((c) => c.name === contextName)?.context;
  if (context === undefined) throw new Error(`kubeconfig ${path}: current-context "${contextName ?? ''}" is not defined`);
  const cluster = document?.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (cluster === undefined) throw new Error(`kubeconfig ${path}: cluster "${context.cluster}" is not defined`);
  const user = (document?.users?.find((u) => u.name === context.user)?.user ?? {}) as Record<string, string | undefined>;
  for (const unsupported of ['exec', 'auth-provider']) {
    if (user[unsupported] !== undefined) throw new Error(`kubeconfig ${path}: user "${context.user}" uses ${unsupported}, which netpol-hygiene does not support; use a client certificate or a token`);
  }
  const material = (data: string | undefined, file: string | undefined): string | undefined =>
    data !== undefined ? Buffer.from(data, 'base64').toString('utf8') : file !== undefined ? readFileSync(isAbsolute(file) ? file : join(base, file), 'utf8') : undefined;
  const tokenFile = user.tokenFile;
  const token = user.token;
  return {
    server: cluster.server,
    ca: material(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: material(user['client-certificate-data'], user['client-certificate']),
    key: material(user['client-key-data'], user['client-key']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    token: token !== undefined ? () => token : tokenFile !== undefined ? () => readFileSync(isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile), 'utf8').trim() : undefined,
    source: `kubeconfig ${path}`,
  };
}
