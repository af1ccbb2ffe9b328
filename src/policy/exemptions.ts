import type { AdmissionRequest } from '../kube/admission-review.ts';
import type { Config } from '../config/types.ts';

/**
 * Why a request is exempt, or undefined. Checked before any rule, as Pod Security Admission
 * does: exempt users, groups and namespaces are allowed and recorded as `exempt`.
 */
export function exemptionReason(request: AdmissionRequest, config: Config): string | undefined {
  const { username, groups = [] } = request.userInfo;
  if (username !== undefined && config.exemptions.usernames.includes(username)) return `user "${username}" is exempt`;
  const group = groups.find((g) => config.exemptions.groups.includes(g));
  if (group !== undefined) return `group "${group}" is exempt`;
  const namespace = namespaceOf(request);
  if (namespace !== undefined && isExemptNamespace(namespace, config)) return `namespace "${namespace}" is exempt`;
  return undefined;
}

/** The namespace a request is in; for a Namespace, the namespace itself. */
function namespaceOf(request: AdmissionRequest): string | undefined {
  if (request.kind.kind === 'Namespace' && request.kind.group === '') return request.name ?? request.object?.metadata?.name;
  return request.namespace;
}

export function isExemptNamespace(namespace: string, config: Config): boolean {
  return namespace === config.webhook.namespace || config.exemptions.namespaces.includes(namespace);
}
