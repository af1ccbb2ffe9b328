import type { AdmissionRequest, KubeObject } from '../../kube/admission-review.ts';
import { profileNamed } from '../../config/profiles.ts';
import { type Config, modes } from '../../config/types.ts';
import { labelPrefix, labels } from '../../kube/vocabulary.ts';
import type { Violation } from '../../kube/violation.ts';
import { type RuleContext, type RuleResult, isAdmin, noViolations, violating } from '../decision.ts';
import { subresourceLabelViolations } from '../subresource-labels.ts';
import { type RegisteredRule, namespaceKind } from './registration.ts';

/**
 * NS-LABELS: changing a netpol-hygiene.io/* label on UPDATE needs an admin group, and so does
 * choosing a mode at CREATE: a weaker mode is a way to opt out. Malformed values are refused
 * for anyone.
 */
export const nsLabels: RegisteredRule = {
  id: 'NS-LABELS',
  webhook: 'validate',
  kinds: [namespaceKind],
  operations: ['CREATE', 'UPDATE'],
  subresources: [''],
  check: checkLabels,
};

/** NS-LABELS through namespaces/status and namespaces/finalize: no netpol-hygiene.io/* label changes there, for anyone. */
export const nsLabelsThroughSubresources: RegisteredRule = {
  id: 'NS-LABELS',
  webhook: 'validate',
  kinds: [namespaceKind],
  operations: ['CREATE', 'UPDATE'],
  subresources: ['status', 'finalize'],
  check: (request) => (request.object ? violating(subresourceLabelViolations(request, (key) => key.startsWith(labelPrefix), 'NS-LABELS')) : noViolations),
};

function checkLabels(request: AdmissionRequest, { config }: RuleContext): RuleResult {
  if (!request.object) return noViolations;
  const name = request.object.metadata?.name ?? request.name ?? '';
  const now = ownLabels(request.object);
  const violations = [...malformedValues(name, now, config), ...changesNeedingAdmin(name, request, config)];
  return violations.length === 0 ? noViolations : violating(violations);
}

function malformedValues(name: string, now: Record<string, string>, config: Config): Violation[] {
  const violations: Violation[] = [];
  const mode = now[labels.mode];
  if (mode !== undefined && !(modes as readonly string[]).includes(mode)) {
    violations.push({ rule: 'NS-LABELS', reason: `namespace "${name}" sets ${labels.mode}=${mode}`, fix: `use one of: ${modes.join(', ')}` });
  }
  const defaultTier = now[labels.defaultTier];
  if (defaultTier !== undefined && !config.tierLabel.values.includes(defaultTier)) {
    violations.push({ rule: 'NS-LABELS', reason: `namespace "${name}" sets ${labels.defaultTier}=${defaultTier}`, fix: `use one of: ${config.tierLabel.values.join(', ')}` });
  }
  return violations;
}

function changesNeedingAdmin(name: string, request: AdmissionRequest, config: Config): Violation[] {
  const changed = governedChanges(request, config);
  if (changed.length === 0 || isAdmin(request, config)) return [];
  return [
    {
      rule: 'NS-LABELS',
      reason: `changing ${changed.join(', ')} on namespace "${name}" requires membership in an admin group (${config.adminGroups.join(', ')})`,
      detail: `user "${request.userInfo.username ?? '(unknown)'}" is not in one`,
    },
  ];
}

/** The netpol-hygiene.io/* keys an UPDATE changes, or the mode a CREATE chooses. */
function governedChanges(request: AdmissionRequest, config: Config): string[] {
  const now = ownLabels(request.object);
  const before = ownLabels(request.oldObject);
  const changed = request.operation === 'UPDATE' ? changedKeys(before, now) : Object.keys(now).filter((key) => key === labels.mode);
  // A namespace that predates the webhook may gain a profile without an admin: that opts in.
  return changed.filter((key) => !(key === labels.profile && before[key] === undefined && profileNamed(config, now[key] ?? '') !== undefined));
}

function ownLabels(object: KubeObject | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(object?.metadata?.labels ?? {}).filter(([key]) => key.startsWith(labelPrefix)));
}

function changedKeys(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => before[key] !== after[key]).sort();
}
