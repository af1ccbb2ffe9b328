/** Phrases the text and HTML reports share. */
import type { DenialEntry, ReportFilters } from './model.ts';

export function describeFilters(filters: ReportFilters): string {
  const parts = [
    filters.since === undefined ? undefined : `since ${filters.since}`,
    filters.until === undefined ? undefined : `until ${filters.until}`,
    filters.namespaces.length === 0 ? undefined : `namespace ${filters.namespaces.join(', ')}`,
    filters.rules.length === 0 ? undefined : `rule ${filters.rules.join(', ')}`,
    filters.users.length === 0 ? undefined : `user ${filters.users.join(', ')}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'none' : parts.join('; ');
}

export function describeSeconds(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}-day`;
  if (seconds % 3600 === 0) return `${seconds / 3600}-hour`;
  return `${seconds / 60}-minute`;
}

/** `Pod products-prod/web-1`, `Namespace/status scratch`: the object a denial was about. */
export function describeObject(denial: DenialEntry): string {
  const kind = denial.subResource === undefined ? denial.kind : `${denial.kind}/${denial.subResource}`;
  const namespace = denial.namespace !== undefined && denial.kind !== 'Namespace' ? `${denial.namespace}/` : '';
  return `${kind} ${namespace}${denial.name ?? '(unnamed)'}`;
}
