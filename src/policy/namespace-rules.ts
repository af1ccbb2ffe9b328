import type { AdmissionRequest, KubeObject } from '../kube/admission-review.ts';
import { optOutProfile, profileNamed } from '../config/profiles.ts';
import { modes } from '../config/types.ts';
import { type Decision, type RuleContext, type Violation, isAdmin, noViolations } from './decision.ts';
import { subresourceLabelViolations } from './subresource-labels.ts';
import { labelPrefix, labels } from '../kube/vocabulary.ts';

/** Namespace CREATE (mutating): a namespace without a profile gets the default one. */
export function mutateNamespace(request: AdmissionRequest, { config }: RuleContext): Decision {
  const namespace = request.object;
  if (request.operation !== 'CREATE' || !namespace || namespace.metadata?.labels?.[labels.profile] !== undefined) return noViolations;
  const metadata = namespace.metadata ?? {};
  const mutated: KubeObject = { ...namespace, metadata: { ...metadata, labels: { ...metadata.labels, [labels.profile]: config.defaultProfile } } };
  return { violations: [], mutated, reasons: [`${labels.profile}=${config.defaultProfile} (the default profile)`] };
}

/** Namespace CREATE/UPDATE (validating): NS-DEFAULT-DENY and NS-LABELS; through namespaces/status or /finalize, NS-LABELS on any change. */
export function validateNamespace(request: AdmissionRequest, context: RuleContext): Decision {
  const namespace = request.object;
  if (!namespace || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) return noViolations;
  if (request.subResource) return { violations: subresourceLabelViolations(request, (key) => key.startsWith(labelPrefix), 'NS-LABELS'), reasons: [] };
  const name = namespace.metadata?.name ?? request.name ?? '';
  const violations = [...defaultDenyViolations(name, request, context), ...labelViolations(name, request, context)];
  return { violations, reasons: [] };
}

/**
 * A namespace that predates the webhook has no profile label and is governed by the default
 * profile; it is not refused on UPDATE for lacking one. Removing a label it had is refused.
 */
function defaultDenyViolations(name: string, request: AdmissionRequest, { config }: RuleContext): Violation[] {
  const profile = request.object?.metadata?.labels?.[labels.profile];
  const before = request.oldObject?.metadata?.labels?.[labels.profile];
  if (request.operation === 'UPDATE' && profile === undefined && before === undefined) return [];
  const known = Object.keys(config.profiles).join(', ');
  const onlyExempt = `only exempt namespaces may go without a baseline (exemptions.namespaces in the netpol-hygiene config)`;
  let message: string | undefined;
  if (profile === undefined) {
    message = `namespace "${name}" has no ${labels.profile} label, so it would have no default-deny NetworkPolicy; set label ${labels.profile}=<${known}>`;
  } else if (profile === optOutProfile) {
    message = `namespace "${name}" sets ${labels.profile}=${optOutProfile}, which opts out of the default-deny baseline; remove the label or set it to one of: ${known}; ${onlyExempt}`;
  } else if (profileNamed(config, profile) === undefined) {
    message = `namespace "${name}" sets ${labels.profile}=${profile}, which is not a configured profile; set it to one of: ${known}`;
  }
  return message === undefined ? [] : [{ rule: 'NS-DEFAULT-DENY', message: `NS-DEFAULT-DENY: ${message}` }];
}

/**
 * Changing a netpol-hygiene.io/* label on UPDATE needs an admin group, and so does choosing a
 * mode at CREATE: a weaker mode is a way to opt out. Malformed values are refused for anyone.
 */
function labelViolations(name: string, request: AdmissionRequest, { config }: RuleContext): Violation[] {
  const now = ownLabels(request.object);
  const before = ownLabels(request.oldObject);
  const violations: Violation[] = [];
  const mode = now[labels.mode];
  if (mode !== undefined && !(modes as readonly string[]).includes(mode)) {
    violations.push(labelViolation(`namespace "${name}" sets ${labels.mode}=${mode}; use one of: ${modes.join(', ')}`));
  }
  const defaultTier = now[labels.defaultTier];
  if (defaultTier !== undefined && !config.tierLabel.values.includes(defaultTier)) {
    violations.push(labelViolation(`namespace "${name}" sets ${labels.defaultTier}=${defaultTier}; use one of: ${config.tierLabel.values.join(', ')}`));
  }
  const changed = (request.operation === 'UPDATE' ? changedKeys(before, now) : Object.keys(now).filter((key) => key === labels.mode)).filter(
    // A namespace that predates the webhook may gain a profile without an admin: that opts in.
    (key) => !(key === labels.profile && before[key] === undefined && profileNamed(config, now[key] ?? '') !== undefined),
  );
  if (changed.length > 0 && !isAdmin(request, config)) {
    const user = request.userInfo.username ?? '(unknown)';
    violations.push(
      labelViolation(
        `changing ${changed.join(', ')} on namespace "${name}" requires membership in an admin group (${config.adminGroups.join(', ')}); user "${user}" is not in one`,
      ),
    );
  }
  return violations;
}

function labelViolation(message: string): Violation {
  return { rule: 'NS-LABELS', message: `NS-LABELS: ${message}` };
}

function ownLabels(object: KubeObject | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(object?.metadata?.labels ?? {}).filter(([key]) => key.startsWith(labelPrefix)));
}

function changedKeys(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => before[key] !== after[key]).sort();
}
