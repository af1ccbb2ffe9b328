import type { RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ExecAuth } from '@kubernetes/client-node/dist/exec_auth.js';
import type { NamedCluster, NamedUser } from './kubeconfig-file.ts';

/**
 * Authenticates requests through @kubernetes/client-node's KubeConfig, for what a kubeconfig
 * user entry can hold beyond static credentials: exec credential plugins (EKS, GKE, AKS,
 * kubelogin), auth-provider/OIDC with refresh tokens, basic auth, impersonation, proxies.
 *
 * The package is imported on the first request, not before: it costs tens of MiB of RSS, which
 * a webhook on static credentials or its service account never pays. KubeConfig is applied to
 * every request's options, so its caches decide when a plugin runs again: an exec credential
 * is reused until its expirationTimestamp, an OIDC id-token is refreshed when it expires.
 */
export function pluginAuthenticator(selected: { cluster: NamedCluster; user: NamedUser; context: string }, source: string): (options: RequestOptions) => Promise<void> {
  let loading: Promise<KubeConfig> | undefined;
  return async (options) => {
    loading ??= kubeConfigOf(selected);
    try {
      await (await loading).applyToHTTPSOptions(options);
    } catch (error) {
      throw new Error(`${source}: credentials of user "${selected.user.name}" failed: ${firstLine(error)}`, { cause: error });
    }
  };
}

/** Only the selected context, cluster and user: paths were already made absolute. */
async function kubeConfigOf(selected: { cluster: NamedCluster; user: NamedUser; context: string }): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [selected.cluster],
      users: [selected.user],
      contexts: [{ name: selected.context, context: { cluster: selected.cluster.name, user: selected.user.name } }],
      'current-context': selected.context,
    }),
  );
  return kubeConfig;
}

/**
 * The common case alone (EKS, GKE, AKS, kubelogin: a user with just an `exec` entry) through
 * the package's ExecAuth, without KubeConfig: ExecAuth costs ~4 MiB of RSS, KubeConfig ~80 MiB
 * (it imports every generated API model). Same caching: a credential is reused until its
 * expirationTimestamp. TLS stays with our own agent; a client certificate the plugin returns
 * goes into the request's options, which the agent keys its sockets by.
 */
export function execAuthenticator(user: NamedUser, source: string): (options: RequestOptions) => Promise<void> {
  let loading: Promise<ExecAuth> | undefined;
  return async (options) => {
    loading ??= import('@kubernetes/client-node/dist/exec_auth.js').then(({ ExecAuth: Exec }) => new Exec());
    try {
      await (await loading).applyAuthentication({ name: user.name, exec: user.user.exec } as never, options as never);
    } catch (error) {
      throw new Error(`${source}: credentials of user "${user.name}" failed: ${firstLine(error)}`, { cause: error });
    }
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().split('\n')[0] || 'no message';
}
