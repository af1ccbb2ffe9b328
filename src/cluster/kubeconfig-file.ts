import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, sep } from 'node:path';
import type * as Yaml from 'yaml';

export interface NamedCluster {
  readonly name: string;
  readonly cluster: { readonly server: string; readonly 'certificate-authority'?: string; readonly 'certificate-authority-data'?: string; readonly 'insecure-skip-tls-verify'?: boolean; readonly [field: string]: unknown };
}

export interface NamedUser {
  readonly name: string;
  readonly user: Readonly<Record<string, unknown>>;
}

export interface NamedContext {
  readonly name: string;
  readonly context: { readonly cluster: string; readonly user?: string; readonly namespace?: string };
}

/** The parts of a kubeconfig that say where the API server is and who we are to it. */
export interface Kubeconfig {
  readonly 'current-context'?: string;
  readonly clusters: readonly NamedCluster[];
  readonly users: readonly NamedUser[];
  readonly contexts: readonly NamedContext[];
}

interface RawKubeconfig {
  'current-context'?: string;
  clusters?: NamedCluster[] | null;
  users?: NamedUser[] | null;
  contexts?: NamedContext[] | null;
}

// The YAML parser loads on first use: in a pod the webhook authenticates with its service
// account and reads no kubeconfig, so the parser stays out of the long-lived server, as the
// config's does (see src/config/load-in-child.ts). require rather than import(): reading a
// kubeconfig stays synchronous for its callers.
const requireHere = createRequire(import.meta.url);
function parseYaml(text: string): unknown {
  return (requireHere('yaml') as typeof Yaml).parse(text);
}

/**
 * Reads kubeconfig files and merges them as kubectl does with a KUBECONFIG list: the first
 * file to define a name (or a current-context) wins. Relative paths are made absolute against
 * the file that holds them, so the merged document means the same wherever it is read from.
 */
export function mergeKubeconfigs(paths: readonly string[]): Kubeconfig {
  const merged = { clusters: new Map<string, NamedCluster>(), users: new Map<string, NamedUser>(), contexts: new Map<string, NamedContext>() };
  let currentContext: string | undefined;
  for (const path of paths) {
    const document = (parseYaml(readFileSync(path, 'utf8')) ?? {}) as RawKubeconfig;
    if (typeof document !== 'object') throw new Error(`kubeconfig ${path}: not a YAML mapping`);
    currentContext ??= document['current-context'] || undefined;
    addNew(merged.clusters, (document.clusters ?? []).map((cluster) => absoluteCluster(cluster, path)));
    addNew(merged.users, (document.users ?? []).map((user) => absoluteUser(user, path)));
    addNew(merged.contexts, document.contexts ?? []);
  }
  return { 'current-context': currentContext, clusters: [...merged.clusters.values()], users: [...merged.users.values()], contexts: [...merged.contexts.values()] };
}

/** The first file to define a name wins. */
function addNew<T extends { readonly name: string }>(into: Map<string, T>, entries: readonly T[]): void {
  for (const entry of entries) if (!into.has(entry.name)) into.set(entry.name, entry);
}

function resolve(kubeconfigPath: string, file: unknown): unknown {
  return typeof file === 'string' && file !== '' && !isAbsolute(file) ? join(dirname(kubeconfigPath), file) : file;
}

function absoluteCluster(named: NamedCluster, path: string): NamedCluster {
  const cluster = named.cluster ?? {};
  if (cluster['certificate-authority'] === undefined) return { ...named, cluster };
  return { ...named, cluster: { ...cluster, 'certificate-authority': resolve(path, cluster['certificate-authority']) as string } };
}

function absoluteUser(named: NamedUser, path: string): NamedUser {
  const user: Record<string, unknown> = { ...(named.user ?? {}) };
  for (const field of ['client-certificate', 'client-key', 'tokenFile']) if (user[field] !== undefined) user[field] = resolve(path, user[field]);
  const exec = user.exec as { command?: unknown } | undefined;
  // As kubectl: a command with a path separator is relative to the kubeconfig; a bare name is looked up on PATH.
  if (typeof exec?.command === 'string' && exec.command.includes(sep)) user.exec = { ...exec, command: resolve(path, exec.command) };
  return { name: named.name, user };
}
