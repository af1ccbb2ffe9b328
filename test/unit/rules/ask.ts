/**
 * Asks rules as the admission handler does: only the registrations for the request's webhook,
 * kind, operation and subresource run, in registry order. Violations come back as the tables
 * write them: the rule and the exact text users read.
 */
import type { AdmissionRequest, KubeObject } from '../../../src/kube/admission-review.ts';
import type { RuleId } from '../../../src/kube/vocabulary.ts';
import { formatViolation } from '../../../src/kube/violation.ts';
import type { Intent, RuleContext } from '../../../src/policy/decision.ts';
import { evaluate, rulesFor } from '../../../src/policy/rules/registry.ts';
import type { RegisteredRule, Webhook } from '../../../src/policy/rules/registration.ts';

export interface Worded {
  readonly rule: RuleId;
  readonly message: string;
}

export interface Answer {
  readonly violations: readonly Worded[];
  readonly reasons: readonly string[];
  readonly mutated?: KubeObject;
  readonly intents?: readonly Intent[];
}

export function ask(webhook: Webhook, registrations: readonly RegisteredRule[], request: AdmissionRequest, context: RuleContext): Answer {
  const { violations, reasons, mutated, intents } = evaluate(rulesFor(webhook, request, registrations), request, context);
  return {
    violations: violations.map((violation) => ({ rule: violation.rule, message: formatViolation(violation) })),
    reasons,
    ...(mutated === undefined ? {} : { mutated }),
    ...(intents === undefined ? {} : { intents }),
  };
}

export function validate(registrations: readonly RegisteredRule[], request: AdmissionRequest, context: RuleContext): Answer {
  return ask('validate', registrations, request, context);
}

export function mutate(registrations: readonly RegisteredRule[], request: AdmissionRequest, context: RuleContext): Answer {
  return ask('mutate', registrations, request, context);
}
