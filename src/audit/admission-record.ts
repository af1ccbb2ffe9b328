import type { AdmissionRequest, AdmissionResponse } from '../kube/admission-review.ts';
import type { AdmissionAuditRecord } from './audit-log.ts';

/** What the handler concluded for one request: the response, and the audit record's account of it. */
export interface AdmissionOutcome extends Pick<AdmissionAuditRecord, 'decision' | 'mode' | 'rules' | 'message' | 'reasons' | 'patch'> {
  readonly response: AdmissionResponse;
}

/**
 * The audit record of one decision. Reads the request defensively: it is written for every
 * request, including the malformed ones the decision refused, and must not throw on them.
 */
export function admissionRecord(webhook: 'mutate' | 'validate', request: AdmissionRequest, outcome: AdmissionOutcome, latencyMs: number): AdmissionAuditRecord {
  return {
    ...requestFields(webhook, request),
    mode: outcome.mode,
    decision: outcome.decision,
    code: outcome.response.status?.code ?? 200,
    rules: outcome.rules,
    message: outcome.message,
    reasons: outcome.reasons,
    patch: outcome.patch,
    latencyMs: Math.round(latencyMs * 1000) / 1000,
  };
}

type RequestFields = Pick<AdmissionAuditRecord, 'event' | 'webhook' | 'uid' | 'operation' | 'kind' | 'subResource' | 'namespace' | 'name' | 'user' | 'groups' | 'dryRun'>;

function requestFields(webhook: 'mutate' | 'validate', request: AdmissionRequest): RequestFields {
  const meta = metadataOf(request.object) ?? metadataOf(request.oldObject);
  return {
    event: 'admission',
    webhook,
    uid: request.uid,
    operation: request.operation,
    kind: request.kind.kind,
    ...subResourceField(request.subResource),
    namespace: text(request.namespace) ?? (request.kind.kind === 'Namespace' ? undefined : text(meta?.namespace)),
    name: objectName(request, meta),
    user: text(request.userInfo.username),
    groups: Array.isArray(request.userInfo.groups) ? request.userInfo.groups.filter((g) => typeof g === 'string') : [],
    dryRun: request.dryRun === true,
  };
}

function subResourceField(subResource: unknown): { subResource?: string } {
  return typeof subResource === 'string' && subResource !== '' ? { subResource: text(subResource) } : {};
}

/** The request's name, else the object's, else `generateName*` before the API server has made one. */
function objectName(request: AdmissionRequest, meta: Record<string, unknown> | undefined): string | undefined {
  const generateName = text(meta?.generateName);
  return text(request.name) || text(meta?.name) || (generateName === undefined ? undefined : `${generateName}*`);
}

function metadataOf(object: unknown): Record<string, unknown> | undefined {
  if (typeof object !== 'object' || object === null) return undefined;
  const meta = (object as { metadata?: unknown }).metadata;
  return typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>) : undefined;
}

/** Strings only, and bounded: a hostile name must not make the record itself the problem. */
function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > 1024 ? `${value.slice(0, 1024)}…` : value;
}
