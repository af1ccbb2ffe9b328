import type { Operation as PatchOperation } from 'fast-json-patch';
import type { AdmissionResponse } from '../kube/admission-review.ts';

/**
 * The only places AdmissionResponses are made. Denied (403) means a rule said no; errored
 * (500) means we could not decide, and fails closed.
 */
export function allowed(uid: string): AdmissionResponse {
  return { uid, allowed: true };
}

export function denied(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } };
}

/** The review itself is malformed or incomplete: nothing to decide on, so refused. */
export function badRequest(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code: 400, reason: 'BadRequest', message } };
}

export function errored(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code: 500, reason: 'InternalError', message } };
}

export function patched(response: AdmissionResponse, operations: readonly PatchOperation[]): AdmissionResponse {
  if (operations.length === 0) return response;
  return { ...response, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(operations)).toString('base64') };
}

export function withWarnings(response: AdmissionResponse, warnings: readonly string[]): AdmissionResponse {
  return warnings.length === 0 ? response : { ...response, warnings };
}

export function withAuditAnnotations(response: AdmissionResponse, annotations: Readonly<Record<string, string>>): AdmissionResponse {
  return Object.keys(annotations).length === 0 ? response : { ...response, auditAnnotations: annotations };
}
