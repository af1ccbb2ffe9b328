import type { Operation } from '../../kube/admission-review.ts';
import type { RuleId } from '../../kube/vocabulary.ts';
import type { Check } from '../decision.ts';

/** The two webhooks: mutate changes objects (CREATE only), validate judges them. */
export type Webhook = 'mutate' | 'validate';

export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

export const namespaceKind: GroupKind = { group: '', kind: 'Namespace' };
export const podKind: GroupKind = { group: '', kind: 'Pod' };
export const networkPolicyKind: GroupKind = { group: 'networking.k8s.io', kind: 'NetworkPolicy' };

/**
 * One check of one rule and the requests it answers, as Pod Security Admission registers its
 * checks. A rule may register several: its mutating half, its check of the object itself, its
 * check through subresources. Subresources are `''` for the object itself, else as the
 * webhook configuration lists them (`status` for `pods/status`).
 */
export interface RegisteredRule {
  readonly id: RuleId;
  readonly webhook: Webhook;
  readonly kinds: readonly GroupKind[];
  readonly operations: readonly Operation[];
  readonly subresources: readonly string[];
  readonly check: Check;
}
