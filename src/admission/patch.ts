import jsonPatch, { type Operation } from 'fast-json-patch';
import type { KubeObject } from './review.ts';

/**
 * RFC 6902 operations that turn `original` into `mutated` (an edited clone). Label keys with
 * `/` come out escaped as `~1` (RFC 6901), which hand-written pointers tend to get wrong.
 */
export function diffPatch(original: KubeObject, mutated: KubeObject | undefined): Operation[] {
  return mutated === undefined ? [] : jsonPatch.compare(original, mutated);
}
