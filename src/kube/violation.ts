import type { RuleId } from './vocabulary.ts';

/**
 * A rule's "no", in the parts Pod Security Admission's checks give (a reason that always
 * shows, a detail naming the exact values) plus what to change. The mode decides whether it
 * becomes a denial, a warning or a record; formatViolation alone turns it into words.
 */
export interface Violation {
  readonly rule: RuleId;
  /** What is wrong, naming the object: `namespace "shop" sets netpol-hygiene.io/profile=none, which ...`. */
  readonly reason: string;
  /** Who or what exactly, when the reason does not say it: `user "jane" may not delete it`. */
  readonly detail?: string;
  /**
   * What to change. Absent only where the reason names what is required and nothing else
   * would help (NS-LABELS: membership in an admin group).
   */
  readonly fix?: string;
}

/** `RULE: reason; detail; fix`: the one place a violation becomes the text users read. */
export function formatViolation(violation: Violation): string {
  const parts = [violation.reason, violation.detail, violation.fix].filter((part): part is string => part !== undefined);
  return `${violation.rule}: ${parts.join('; ')}`;
}
