import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type Kubeconfig, type NamedCluster, type NamedUser, mergeKubeconfigs } from './kubeconfig-file.ts';
import { execAuthenticator, pluginAuthenticator } from './kubeconfig-plugin.ts';

/** Where the API server is and how to authenticate to it. */
export interface Connection {
  readonly server: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly insecureSkipTlsVerify?: boolean;
  /** Re-read on every call: projected service-account tokens rotate on disk. */
  readonly token?: () => string;
  /**
   * Credentials only @kubernetes/client-node's KubeConfig provides (exec plugins,
   * auth-provider/OIDC, basic auth, impersonation, proxies), applied to each request's options
   * just before it is sent, so a refreshed token is used as soon as the plugin returns one.
   */
  readonly authenticate?: (options: RequestOptions) => Promise<void>;
  readonly source: string;
}

export interface ConnectionOptions {
  /** --kubeconfig: one file, which must exist. */
  readonly kubeconfig?: string;
  /** --context: instead of the kubeconfig's current-context. */
  readonly context?: string;
}

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * --kubeconfig, else $KUBECONFIG (files merged as kubectl merges them: the first to define a
 * name wins), else the in-cluster service account, else ~/.kube/config.
 *
 * Client certificates, bearer tokens and token files are read here. An `exec` plugin runs
 * through @kubernetes/client-node's ExecAuth (~4 MiB, imported on the first request); anything
 * else a user entry holds (auth-provider/OIDC, username, as) or a cluster entry (proxy-url,
 * tls-server-name) is handed to its KubeConfig, imported only then: KubeConfig costs ~80 MiB
 * of RSS (it loads every generated API model), most of DESIGN.md's budget for the webhook.
 */
export function loadConnection(options: ConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env): Connection {
  const files = kubeconfigFiles(options.kubeconfig, env.KUBECONFIG);
  if (files !== undefined) return fromKubeconfig(files, options.context);
  if (env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_PORT !== undefined && options.context === undefined) return inCluster(env);
  return fromKubeconfig([join(homedir(), '.kube', 'config')], options.context);
}

/** --kubeconfig, else the existing files of $KUBECONFIG (kubectl skips the missing ones), else undefined. */
function kubeconfigFiles(flag: string | undefined, variable: string | undefined): string[] | undefined {
  if (flag !== undefined && flag !== '') return [flag];
  const listed = (variable ?? '').split(delimiter).filter((path) => path !== '');
  if (listed.length === 0) return undefined;
  const existing = listed.filter((path) => existsSync(path));
  if (existing.length === 0) throw new Error(`KUBECONFIG names no file that exists: ${listed.join(delimiter)}`);
  return existing;
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

/** The user fields read here; any other field needs KubeConfig. */
const ownUserFields = new Set(['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile', 'extensions']);
/** Likewise for the cluster. */
const ownClusterFields = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'extensions']);

function fromKubeconfig(paths: readonly string[], contextName: string | undefined): Connection {
  const document = mergeKubeconfigs(paths);
  const label = `kubeconfig ${paths.join(delimiter)}`;
  const { cluster, user, context } = select(document, contextName, label);
  const source = `${label}, context "${context}"`;
  const userNeeds = Object.keys(user.user).filter((field) => !ownUserFields.has(field));
  const clusterNeeds = Object.keys(cluster.cluster).some((field) => !ownClusterFields.has(field));
  const base = {
    server: cluster.cluster.server,
    ca: material(cluster.cluster['certificate-authority-data'], cluster.cluster['certificate-authority']),
    insecureSkipTlsVerify: cluster.cluster['insecure-skip-tls-verify'] === true,
    source,
  };
  if (clusterNeeds || userNeeds.some((field) => field !== 'exec')) return { ...base, authenticate: pluginAuthenticator({ cluster, user, context }, source) };
  const fields = user.user as Record<string, string | undefined>;
  const token = fields.token;
  const tokenFile = fields.tokenFile;
  return {
    ...base,
    cert: material(fields['client-certificate-data'], fields['client-certificate']),
    key: material(fields['client-key-data'], fields['client-key']),
    token: token !== undefined ? () => token : tokenFile !== undefined ? () => readFileSync(tokenFile, 'utf8').trim() : undefined,
    authenticate: userNeeds.length > 0 ? execAuthenticator(user, source) : undefined,
  };
}

function select(document: Kubeconfig, requested: string | undefined, label: string): { cluster: NamedCluster; user: NamedUser; context: string } {
  const name = requested ?? document['current-context'];
  const context = document.contexts.find((c) => c.name === name)?.context;
  if (context === undefined) throw new Error(`${label}: ${undefinedContext(document, requested)}`);
  const cluster = document.clusters.find((c) => c.name === context.cluster);
  if (cluster === undefined || typeof cluster.cluster.server !== 'string') throw new Error(`${label}: cluster "${context.cluster}" of context "${name}" is not defined or has no server`);
  const user = document.users.find((u) => u.name === context.user) ?? { name: context.user ?? '', user: {} };
  return { cluster, user, context: name as string };
}

function undefinedContext(document: Kubeconfig, requested: string | undefined): string {
  const known = document.contexts.map((c) => c.name).join(', ') || 'none';
  const what = requested === undefined ? `current-context "${document['current-context'] ?? ''}"` : `context "${requested}"`;
  return `${what} is not defined (contexts: ${known})`;
}

function material(data: string | undefined, file: string | undefined): string | undefined {
  if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
  return file === undefined ? undefined : readFileSync(file, 'utf8');
}
