import type { AdmissionRequest, KubeObject } from '../../kube/admission-review.ts';
import type { Config } from '../../config/types.ts';
import { optOutProfile, profileNamed } from '../../config/profiles.ts';
import { labels } from '../../kube/vocabulary.ts';
import type { Violation } from '../../kube/violation.ts';
import { type RuleContext, type RuleResult, noViolations, violating } from '../decision.ts';
import { type RegisteredRule, namespaceKind } from './registration.ts';

/** NS-DEFAULT-DENY's mutating half: a namespace created without a profile gets the default one. */
export const nsDefaultDenyInjection: RegisteredRule = {
  id: 'NS-DEFAULT-DENY',
  webhook: 'mutate',
  kinds: [namespaceKind],
  operations: ['CREATE'],
  subresources: [''],
  check: injectProfile,
};

/** NS-DEFAULT-DENY: a governed namespace may not go without a known profile, and so without its default-deny. */
export const nsDefaultDeny: RegisteredRule = {
  id: 'NS-DEFAULT-DENY',
  webhook: 'validate',
  kinds: [namespaceKind],
  operations: ['CREATE', 'UPDATE'],
  subresources: [''],
  check: checkProfile,
};

function injectProfile(request: AdmissionRequest, { config }: RuleContext): RuleResult {
  const namespace = request.object;
  if (!namespace || namespace.metadata?.labels?.[labels.profile] !== undefined) return noViolations;
  const metadata = namespace.metadata ?? {};
  const mutated: KubeObject = { ...namespace, metadata: { ...metadata, labels: { ...metadata.labels, [labels.profile]: config.defaultProfile } } };
  return { violations: [], mutated, reasons: [`${labels.profile}=${config.defaultProfile} (the default profile)`] };
}

/**
 * A namespace that predates the webhook has no profile label and is governed by the default
 * profile; it is not refused on UPDATE for lacking one. Removing a label it had is refused.
 */
function checkProfile(request: AdmissionRequest, { config }: RuleContext): RuleResult {
  const namespace = request.object;
  if (!namespace) return noViolations;
  const profile = profileOf(namespace);
  if (request.operation === 'UPDATE' && profile === undefined && profileOf(request.oldObject) === undefined) return noViolations;
  const violation = profileViolation(namespace.metadata?.name ?? request.name ?? '', profile, config);
  return violation === undefined ? noViolations : violating([violation]);
}

function profileOf(namespace: KubeObject | null | undefined): string | undefined {
  return namespace?.metadata?.labels?.[labels.profile];
}

function profileViolation(name: string, profile: string | undefined, config: Config): Violation | undefined {
  const known = Object.keys(config.profiles).join(', ');
  if (profile === undefined) {
    return { rule: 'NS-DEFAULT-DENY', reason: `namespace "${name}" has no ${labels.profile} label, so it would have no default-deny NetworkPolicy`, fix: `set label ${labels.profile}=<${known}>` };
  }
  if (profile === optOutProfile) {
    return {
      rule: 'NS-DEFAULT-DENY',
      reason: `namespace "${name}" sets ${labels.profile}=${optOutProfile}, which opts out of the default-deny baseline`,
      fix: `remove the label or set it to one of: ${known}; only exempt namespaces may go without a baseline (exemptions.namespaces in the netpol-hygiene config)`,
    };
  }
  if (profileNamed(config, profile) !== undefined) return undefined;
  return { rule: 'NS-DEFAULT-DENY', reason: `namespace "${name}" sets ${labels.profile}=${profile}, which is not a configured profile`, fix: `set it to one of: ${known}` };
}
