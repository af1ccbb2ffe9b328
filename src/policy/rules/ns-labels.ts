import type { AdmissionRequest, KubeObject } from '../../kube/admission-review.ts';
import { profileNamed } from '../../config/profiles.ts';
import { type Config, modes } from '../../config/types.ts';
import { labelPrefix, labels } from '../../kube/vocabulary.ts';
import type { Violation } from '../../kube/violation.ts';
import { type RuleContext, type RuleResult, isAdmin, noViolations, violating } from '../decision.ts';
import { changedLabelKeys, subresourceLabelViolations } from '../subresource-labels.ts';
import { type RegisteredRule, namespaceKind } from './registration.ts';

/**
 * NS-LABELS: changing a netpol-hygiene.io/* label on UPDATE needs an admin group, and so does
 * choosing a mode or a profile other than the default at CREATE: a weaker mode is a way to
 * opt out, a wider profile a way to widen the ceiling. Malformed values are refused for anyone.
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

/**
 * The netpol-hygiene.io/* keys an UPDATE changes, or what a CREATE chooses: a mode, or a
 * profile other than the default. Profiles differ in what they allow (their ceilings), so
 * choosing one is an admin's call; the default is what the mutating webhook gives anyway.
 */
function governedChanges(request: AdmissionRequest, config: Config): string[] {
  const now = ownLabels(request.object);
  const before = ownLabels(request.oldObject);
  const changed = request.operation === 'UPDATE' ? changedLabelKeys(before, now) : Object.keys(now).filter((key) => chosenAtCreate(key, now[key], config));
  // A namespace that predates the webhook may gain the default profile without an admin: that opts in.
  return changed.filter((key) => !(key === labels.profile && before[key] === undefined && now[key] === config.defaultProfile));
}

/** A mode, or a configured profile other than the default (an unknown one is NS-DEFAULT-DENY's). */
function chosenAtCreate(key: string, value: string | undefined, config: Config): boolean {
  if (key === labels.mode) return true;
  return key === labels.profile && value !== config.defaultProfile && profileNamed(config, value ?? '') !== undefined;
}

function ownLabels(object: KubeObject | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(object?.metadata?.labels ?? {}).filter(([key]) => key.startsWith(labelPrefix)));
}
