/**
 * admission.k8s.io/v1 AdmissionReview, as the kube-apiserver sends and expects it.
 * https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request
 */

export const admissionApiVersion = 'admission.k8s.io/v1';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface UserInfo {
  /** The authenticated user, e.g. `system:serviceaccount:kube-system:namespace-controller`. */
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** A Kubernetes object as it appears in a review: only metadata is assumed. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
  readonly [field: string]: unknown;
}

export interface ObjectMeta {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly deletionTimestamp?: string;
  readonly ownerReferences?: readonly { readonly kind: string; readonly name: string }[];
}

export interface AdmissionRequest {
  /** Copied into the response; the API server matches them by it. */
  readonly uid: string;
  /** The kind of the object as sent (`{group: '', version: 'v1', kind: 'Pod'}`). */
  readonly kind: GroupVersionKind;
  readonly resource: { readonly group: string; readonly version: string; readonly resource: string };
  readonly subResource?: string;
  /** Empty for a pod created with generateName until the API server assigns one. */
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: Operation;
  readonly userInfo: UserInfo;
  /** The object after the operation; null on DELETE. */
  readonly object?: KubeObject | null;
  /** The object before the operation; set on UPDATE and DELETE. */
  readonly oldObject?: KubeObject | null;
  /** Dry-run requests must cause no side effects (sideEffects: NoneOnDryRun). */
  readonly dryRun?: boolean;
  readonly options?: unknown;
}

export interface AdmissionReview {
  readonly apiVersion: typeof admissionApiVersion;
  readonly kind: 'AdmissionReview';
  readonly request: AdmissionRequest;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: { readonly code: number; readonly reason?: string; readonly message: string };
  /** base64 of a JSON array of RFC 6902 operations. */
  readonly patch?: string;
  readonly patchType?: 'JSONPatch';
  /** Shown by kubectl as `Warning: ...`. */
  readonly warnings?: readonly string[];
  /** Recorded in the API server's audit log, prefixed with the webhook's name. */
  readonly auditAnnotations?: Readonly<Record<string, string>>;
}

/** Validates the envelope at the HTTP edge, through its generated validator. */
export const admissionReviewSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'request'],
  properties: {
    apiVersion: { const: admissionApiVersion },
    kind: { const: 'AdmissionReview' },
    request: {
      type: 'object',
      required: ['uid', 'kind', 'resource', 'operation', 'userInfo'],
      properties: {
        uid: { type: 'string', minLength: 1 },
        kind: {
          type: 'object',
          required: ['group', 'version', 'kind'],
          properties: { group: { type: 'string' }, version: { type: 'string' }, kind: { type: 'string' } },
        },
        resource: {
          type: 'object',
          properties: { group: { type: 'string' }, version: { type: 'string' }, resource: { type: 'string' } },
        },
        subResource: { type: 'string' },
        name: { type: 'string' },
        namespace: { type: 'string' },
        operation: { enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] },
        // The rules compare these with the config's admin groups and exempt users.
        userInfo: {
          type: 'object',
          properties: { username: { type: 'string' }, uid: { type: 'string' }, groups: { type: 'array', items: { type: 'string' } } },
        },
        object: { type: ['object', 'null'] },
        oldObject: { type: ['object', 'null'] },
        dryRun: { type: 'boolean' },
      },
    },
  },
} as const;

/**
 * How the envelope's validator is compiled (admission-review-validator.generated.ts, `npm run
 * generate:validators`): validated, never coerced or trimmed, so the rules see what the API
 * server sent.
 */
export const admissionReviewSchemaOptions = { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, allowUnionTypes: true } as const;
