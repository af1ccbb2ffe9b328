import jsonPatch, { type Operation } from 'fast-json-patch';
import type { KubeObject } from '../kube/admission-review.ts';

/**
 * RFC 6902 operations that turn `original` into `mutated`. Rules edit copy-on-write: what
 * they change is new, what they leave is the original's own object. Subtrees shared by
 * reference are skipped without a walk, so a label added to a 10 KB pod costs a diff of its
 * labels, not of its containers; changed subtrees are diffed by fast-json-patch. Label keys
 * with `/` come out escaped as `~1` (RFC 6901).
 */
export function diffPatch(original: KubeObject, mutated: KubeObject | undefined): Operation[] {
  return mutated === undefined ? [] : diffShared(original, mutated, '');
}

function diffShared(before: unknown, after: unknown, path: string): Operation[] {
  if (before === after) return [];
  if (!isRecord(before) || !isRecord(after)) {
    return jsonPatch.compare({ value: before }, { value: after }).map((op) => ({ ...op, path: path + op.path.slice('/value'.length) }));
  }
  // The original's keys in order (removed or diffed), then the new ones: no key set is built,
  // and a key whose value is shared costs one comparison.
  const operations: Operation[] = [];
  const at = (key: string): string => `${path}/${jsonPatch.escapePathComponent(key)}`;
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) operations.push({ op: 'remove', path: at(key) });
    else if (before[key] !== after[key]) operations.push(...diffShared(before[key], after[key], at(key)));
  }
  for (const key of Object.keys(after)) if (!Object.hasOwn(before, key)) operations.push({ op: 'add', path: at(key), value: after[key] });
  return operations;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
