import { type AuditEvent, namespaceOf } from './audit-line.ts';

/** What a reviewer narrows the report to; every given criterion must hold. */
export interface EventFilter {
  /** Epoch ms, inclusive. */
  readonly sinceMs?: number;
  /** Epoch ms, exclusive. */
  readonly untilMs?: number;
  readonly namespaces: readonly string[];
  readonly rules: readonly string[];
  readonly users: readonly string[];
}

export function matchesFilter(event: AuditEvent, filter: EventFilter): boolean {
  if (filter.sinceMs !== undefined && event.time < filter.sinceMs) return false;
  if (filter.untilMs !== undefined && event.time >= filter.untilMs) return false;
  if (!anyOf(filter.namespaces, namespaceOf(event))) return false;
  // Repairs are the webhook's own doing under no rule: a rule or user filter leaves them out.
  if (event.event === 'repair') return filter.rules.length === 0 && filter.users.length === 0;
  if (filter.rules.length > 0 && !event.rules.some((rule) => filter.rules.includes(rule))) return false;
  return anyOf(filter.users, event.user);
}

function anyOf(wanted: readonly string[], value: string | undefined): boolean {
  return wanted.length === 0 || (value !== undefined && wanted.includes(value));
}
