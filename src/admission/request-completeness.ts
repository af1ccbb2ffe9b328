import type { AdmissionRequest } from '../kube/admission-review.ts';

/** The kinds the rules govern, and whether their objects live in a namespace. */
const governedKinds: Readonly<Record<string, { readonly namespaced: boolean }>> = {
  '/Namespace': { namespaced: false },
  '/Pod': { namespaced: true },
  'networking.k8s.io/NetworkPolicy': { namespaced: true },
};

const objectsByOperation: Readonly<Record<string, readonly ('object' | 'oldObject')[]>> = {
  CREATE: ['object'],
  UPDATE: ['object', 'oldObject'],
  DELETE: ['oldObject'],
};

/**
 * What a review of a governed kind lacks for a decision to be made on it, or undefined. The
 * API server always sends these (oldObject on DELETE since 1.15); a review without them is
 * forged or broken, and deciding on what is not there would fail open (a CREATE without an
 * object has no tier to check).
 */
export function incompleteness(request: AdmissionRequest): string | undefined {
  const kind = governedKinds[`${request.kind.group}/${request.kind.kind}`];
  if (kind === undefined) return undefined;
  if (kind.namespaced && (typeof request.namespace !== 'string' || request.namespace === '')) {
    return `request.namespace is missing for a namespaced ${request.kind.kind}`;
  }
  const badName = nameProblem(request);
  if (badName !== undefined) return badName;
  for (const field of objectsByOperation[request.operation] ?? []) {
    const problem = objectProblem(request[field], request.kind.kind);
    if (problem !== undefined) return `request.${field} ${problem} on ${request.operation}`;
  }
  return undefined;
}

/**
 * Names as the API server accepts them: a namespace is a DNS label, an object name a DNS
 * subdomain. Anything else is forged, and must not reach a URL the webhook calls (self-heal
 * writes to the namespace a pod names) or an audit record as if it were a name.
 */
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function nameProblem(request: AdmissionRequest): string | undefined {
  if (typeof request.namespace === 'string' && request.namespace !== '' && !dnsLabel.test(request.namespace)) {
    return 'request.namespace is not a valid namespace name';
  }
  if (typeof request.name === 'string' && request.name !== '' && !dnsSubdomain.test(request.name)) return 'request.name is not a valid object name';
  return nameMismatch(request);
}

/** The API server names the object it sends; a review that says otherwise could borrow another name's exemption. */
function nameMismatch(request: AdmissionRequest): string | undefined {
  for (const field of ['object', 'oldObject'] as const) {
    const objectName = (request[field] as { metadata?: { name?: unknown } } | null | undefined)?.metadata?.name;
    if (typeof request.name === 'string' && request.name !== '' && typeof objectName === 'string' && objectName !== '' && objectName !== request.name) {
      return `request.name "${request.name}" is not the name of request.${field}`;
    }
  }
  return undefined;
}

function objectProblem(object: unknown, kind: string): string | undefined {
  if (!isRecord(object)) return 'is missing';
  if (object.kind !== undefined && object.kind !== kind) return `is a ${String(object.kind)}, not a ${kind}`;
  // Absent metadata reads as empty (no labels, no name): the rules then refuse or mutate it as such.
  if (object.metadata === undefined) return undefined;
  if (!isRecord(object.metadata)) return 'has metadata that is not an object';
  return metadataProblem(object.metadata);
}

function metadataProblem(metadata: Record<string, unknown>): string | undefined {
  for (const field of ['name', 'generateName', 'namespace', 'deletionTimestamp'] as const) {
    if (metadata[field] !== undefined && metadata[field] !== null && typeof metadata[field] !== 'string') return `has a metadata.${field} that is not a string`;
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map !== undefined && map !== null && !(isRecord(map) && Object.values(map).every((value) => typeof value === 'string'))) {
      return `has metadata.${field} that are not a map of strings`;
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
