import type { ControlPlane, KubectlOptions } from './control-plane.ts';

/** kubectl's stdout; throws with its stderr when it fails. */
export async function kubectlOk(cp: ControlPlane, args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const result = await cp.kubectl(args, options);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** The names of the NetworkPolicies in a namespace, sorted. */
export async function policyNames(cp: ControlPlane, namespace: string): Promise<string[]> {
  const out = await kubectlOk(cp, ['get', 'networkpolicies', '-n', namespace, '-o', 'jsonpath={.items[*].metadata.name}']);
  return out.split(' ').filter((name) => name !== '').sort();
}
