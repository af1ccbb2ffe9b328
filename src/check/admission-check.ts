/**
 * The webhook's decision path, offline: each candidate becomes the AdmissionRequest the API
 * server would send (a dry run, CREATE or UPDATE), goes through handleAdmission for 'mutate',
 * the patch is applied as the API server applies it, then 'validate'. Whatever rules the
 * handler registers are therefore the rules checked, with the webhook's own messages.
 */
import fastJsonPatch, { type Operation as PatchOperation } from 'fast-json-patch';
import { type AdmissionDeps, handleAdmission, type WebhookPath } from '../admission/handler.ts';
import type { AdmissionRequest, AdmissionResponse, KubeObject, Operation, UserInfo } from '../kube/admission-review.ts';
import type { AdmissionAuditRecord, AuditRecord } from '../audit/audit-log.ts';
import type { Config } from '../config/types.ts';
import { isManaged } from '../policy/baseline.ts';
import { annotations, type RuleId } from '../kube/vocabulary.ts';
import type { Candidate } from './candidates.ts';
import type { SimulatedCluster } from './simulated-cluster.ts';

export type Verdict = 'denied' | 'warned' | 'patched' | 'allowed' | 'exempt';

export interface CheckResult {
  readonly source: string;
  readonly origin: Candidate['origin'];
  /** `pod` for a workload's pod template; else the kind itself. */
  readonly reviewed: Candidate['kind'];
  readonly operation: Extract<Operation, 'CREATE' | 'UPDATE'>;
  readonly verdict: Verdict;
  readonly rules: readonly RuleId[];
  /** The denial, the warnings, or what audit mode records, as the webhook words them. */
  readonly messages: readonly string[];
  /** Why the object was changed or exempt: `tier=ui from rule:web`. */
  readonly reasons: readonly string[];
  readonly patch?: readonly PatchOperation[];
  /** A pod's tier after the mutating webhook: the label, and where it came from. */
  readonly tier?: { readonly value: string; readonly source: string };
  /** What the answer alone does not say, e.g. that the webhook would apply a missing baseline itself. */
  readonly notes: readonly string[];
}

export interface CheckContext {
  readonly config: Config;
  readonly cluster: SimulatedCluster;
  /** Who applies the manifests; a workload's pods are requested by its controller instead. */
  readonly user: UserInfo;
}

/** Candidates in the order Helm and kustomize apply them: Namespaces, then NetworkPolicies, then pods. */
export function applyOrder(candidates: readonly Candidate[]): Candidate[] {
  const rank = { Namespace: 0, NetworkPolicy: 1, Pod: 2 } as const;
  return [...candidates].sort((a, b) => rank[a.kind] - rank[b.kind]);
}

/** Checks each candidate in apply order against the cluster, adding what is admitted to it. */
export async function checkAll(candidates: readonly Candidate[], context: CheckContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const candidate of applyOrder(candidates)) results.push(await checkOne(candidate, context, `netpol-hygiene-check-${results.length + 1}`));
  return results;
}

async function checkOne(candidate: Candidate, context: CheckContext, uid: string): Promise<CheckResult> {
  const namespace = candidate.kind === 'Namespace' ? undefined : candidate.object.metadata?.namespace;
  const old = candidate.controller === undefined ? context.cluster.existing(candidate.kind, namespace, candidate.origin.name) : undefined;
  const base = { source: candidate.source, origin: candidate.origin, reviewed: candidate.kind, operation: old === undefined ? 'CREATE' : 'UPDATE' } as const;
  if (namespace !== undefined && context.cluster.namespace(namespace) === undefined) {
    // The API server refuses it before any webhook is called.
    return { ...base, verdict: 'denied', rules: [], messages: [`namespaces "${namespace}" not found`], reasons: [], notes: [] };
  }
  const { mutation, validation, object } = await mutateThenValidate(requestFor(candidate, old, context.user, uid), context);
  const result = { ...base, ...combine(mutation, validation), tier: tierOf(candidate, object, mutation, context.config) };
  if (result.verdict === 'denied') context.cluster.refuse(object);
  else context.cluster.admit(object);
  return { ...result, notes: notesFor(result, object, context) };
}

/**
 * What happens next that the answer alone does not say. The check passes no baseline applier
 * to the handler: it judges the cluster as given, so a pod in a namespace without its baseline
 * is refused here with POD-PROTECTED, where the webhook would first try to apply the baseline.
 */
function notesFor(result: Omit<CheckResult, 'notes'>, object: KubeObject, context: CheckContext): string[] {
  if (result.rules.includes('POD-PROTECTED')) {
    const namespace = object.metadata?.namespace ?? '';
    return [`netpol-hygiene would first apply the baseline of namespace "${namespace}" itself and admit the pod if that succeeds; apply it before deploying, or give it in --state`];
  }
  if (result.reviewed !== 'Namespace' || result.operation !== 'CREATE' || result.verdict === 'denied' || result.verdict === 'exempt') return [];
  const baseline = context.cluster.networkPolicies(result.origin.name).filter(isManaged).map((policy) => policy.metadata?.name);
  return [`netpol-hygiene would then apply its baseline: ${baseline.join(', ')}`];
}

/**
 * As the API server does it: the mutating webhook (registered for CREATE only), its patch
 * applied, then the validating webhook on the patched object, unless the mutation was refused.
 */
async function mutateThenValidate(request: AdmissionRequest, context: CheckContext): Promise<{ mutation?: Reviewed; validation: Reviewed; object: KubeObject }> {
  const original = request.object as KubeObject;
  if (request.operation !== 'CREATE') return { validation: await review('validate', request, context), object: original };
  const mutation = await review('mutate', request, context);
  if (!mutation.response.allowed) return { mutation, validation: mutation, object: original };
  const object = mutation.response.patch === undefined ? original : applyResponsePatch(original, mutation.response.patch);
  return { mutation, validation: await review('validate', { ...request, object }, context), object };
}

interface Reviewed {
  readonly response: AdmissionResponse;
  readonly record: AdmissionAuditRecord;
}

/** One webhook call; the audit record is kept for its decision, rules and reasons, and written nowhere. */
async function review(webhook: WebhookPath, request: AdmissionRequest, context: CheckContext): Promise<Reviewed> {
  let record: AuditRecord | undefined;
  const deps: AdmissionDeps = { context: { config: context.config, cluster: context.cluster }, audit: { write: (written) => (record = written) } };
  const response = await handleAdmission(webhook, request, deps);
  return { response, record: record as AdmissionAuditRecord };
}

function requestFor(candidate: Candidate, old: KubeObject | undefined, user: UserInfo, uid: string): AdmissionRequest {
  const group = candidate.kind === 'NetworkPolicy' ? 'networking.k8s.io' : '';
  const resource = { Namespace: 'namespaces', Pod: 'pods', NetworkPolicy: 'networkpolicies' }[candidate.kind];
  const operation = old === undefined ? 'CREATE' : 'UPDATE';
  return {
    uid,
    kind: { group, version: 'v1', kind: candidate.kind },
    resource: { group, version: 'v1', resource },
    name: candidate.object.metadata?.name,
    namespace: candidate.kind === 'Namespace' ? undefined : candidate.object.metadata?.namespace,
    operation,
    userInfo: candidate.controller ?? user,
    object: candidate.object,
    oldObject: old ?? null,
    dryRun: true,
    options: { apiVersion: 'meta.k8s.io/v1', kind: operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions', dryRun: ['All'] },
  };
}

function applyResponsePatch(object: KubeObject, patch: string): KubeObject {
  const operations = JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as PatchOperation[];
  return fastJsonPatch.applyPatch(structuredClone(object), operations, false, false).newDocument;
}

type Outcome = Pick<CheckResult, 'verdict' | 'rules' | 'messages' | 'reasons' | 'patch'>;

/** One verdict for both calls: the validating answer decides, the mutating one says what changed. */
function combine(mutation: Reviewed | undefined, validation: Reviewed): Outcome {
  const calls = mutation === undefined || mutation === validation ? [validation] : [mutation, validation];
  const patch = mutation?.record.patch;
  const warnings = calls.flatMap((call) => call.response.warnings ?? []);
  return {
    verdict: verdictOf(validation.record, warnings, patch),
    rules: [...new Set(calls.flatMap((call) => call.record.rules))],
    messages: messagesOf(validation.response, warnings),
    reasons: [...new Set(calls.flatMap((call) => reasonsOf(call.record)))],
    patch,
  };
}

function reasonsOf(record: AdmissionAuditRecord): readonly string[] {
  if (record.decision === 'exempt') return record.message === undefined ? [] : [record.message];
  return record.reasons ?? [];
}

function verdictOf(record: AdmissionAuditRecord, warnings: readonly string[], patch: readonly PatchOperation[] | undefined): Verdict {
  if (record.decision === 'denied' || record.decision === 'exempt') return record.decision;
  if (warnings.length > 0) return 'warned';
  return patch === undefined ? 'allowed' : 'patched';
}

function messagesOf(response: AdmissionResponse, warnings: readonly string[]): string[] {
  if (!response.allowed) return [response.status?.message ?? ''];
  if (warnings.length > 0) return [...warnings];
  const audited = response.auditAnnotations?.message;
  return audited === undefined ? [] : [audited];
}

/** The tier a pod would run with: injected (with the source the webhook records) or its own label. */
function tierOf(candidate: Candidate, pod: KubeObject, mutation: Reviewed | undefined, config: Config): CheckResult['tier'] {
  const value = pod.metadata?.labels?.[config.tierLabel.key];
  if (candidate.kind !== 'Pod' || value === undefined) return undefined;
  const injected = mutation?.record.patch !== undefined;
  return { value, source: injected ? (pod.metadata?.annotations?.[annotations.tierSource] ?? 'label') : 'label' };
}
