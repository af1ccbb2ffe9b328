import type { LabelSelector } from '../kube/network-policy.ts';
import { InvalidPolicyError } from './errors.ts';
import type { Labels } from './model.ts';

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** One requirement on one key; `matchLabels` entries become `In` with a single value. */
export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

/** A label selector as a conjunction of requirements; no requirements selects everything. */
export interface Selector {
  readonly requirements: readonly Requirement[];
}

export const everything: Selector = { requirements: [] };

const operators: readonly string[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * metav1.LabelSelector → Selector, refusing what LabelSelectorAsSelector refuses: an unknown
 * operator, In/NotIn without values, Exists/DoesNotExist with values.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements
 */
export function parseSelector(selector: LabelSelector | null | undefined, path: string): Selector {
  if (selector === undefined || selector === null) return everything;
  const fromLabels = Object.entries(selector.matchLabels ?? {}).map(([key, value]): Requirement => ({ key, operator: 'In', values: [String(value)] }));
  const fromExpressions = (selector.matchExpressions ?? []).map((expression, index) => parseExpression(expression, `${path}.matchExpressions[${index}]`));
  return { requirements: [...fromLabels, ...fromExpressions] };
}

function parseExpression(expression: { key: string; operator: string; values?: readonly string[] }, path: string): Requirement {
  const { key, operator } = expression;
  const values = (expression.values ?? []).map(String);
  if (!operators.includes(operator)) throw new InvalidPolicyError(path, `operator "${operator}" is not one of ${operators.join(', ')}`);
  const needsValues = operator === 'In' || operator === 'NotIn';
  if (needsValues && values.length === 0) throw new InvalidPolicyError(path, `operator ${operator} needs at least one value`);
  if (!needsValues && values.length > 0) throw new InvalidPolicyError(path, `operator ${operator} takes no values`);
  return { key, operator: operator as Operator, values };
}

export function requirementMatches(requirement: Requirement, labels: Labels): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  switch (requirement.operator) {
    case 'In':
      return present && requirement.values.includes(labels[requirement.key] as string);
    case 'NotIn':
      // An absent key satisfies NotIn, as in kubectl's `key notin (a,b)`.
      return !present || !requirement.values.includes(labels[requirement.key] as string);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
  }
}

export function selectorMatches(selector: Selector, labels: Labels): boolean {
  return selector.requirements.every((requirement) => requirementMatches(requirement, labels));
}

export function selectsEverything(selector: Selector): boolean {
  return selector.requirements.length === 0;
}

/** kubectl's selector syntax: `tier=ui,env in (prod,stage),!legacy`; `{}` for everything. */
export function describeSelector(selector: Selector): string {
  if (selectsEverything(selector)) return '{}';
  return selector.requirements.map(describeRequirement).join(',');
}

function describeRequirement({ key, operator, values }: Requirement): string {
  switch (operator) {
    case 'In':
      return values.length === 1 ? `${key}=${values[0]}` : `${key} in (${values.join(',')})`;
    case 'NotIn':
      return `${key} notin (${values.join(',')})`;
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
  }
}
