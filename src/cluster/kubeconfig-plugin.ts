import type { RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
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

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().split('\n')[0] || 'no message';
}
