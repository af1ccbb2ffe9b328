import { parse as secureJsonParse } from 'secure-json-parse';
import * as json from './json-bytes.ts';
import { withoutManagedFields } from './managed-fields.ts';

// Copied into constants of this module, which V8 folds into the byte loop (see managed-fields.ts).
const { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } = json;

/**
 * Refuses a JSON body whose shape would cost far more memory or stack than any real
 * AdmissionReview, before JSON.parse builds it. A 7 MB body of nested arrays parses into
 * hundreds of MiB of objects (and deep nesting overflows the stack of anything recursive
 * that later walks it), while the largest real review, two Pods at etcd's 1.5 MiB request
 * limit, is a few hundred thousand values no more than ~25 levels deep (managedFields
 * mirror the object's own structure one level down).
 */
export interface JsonShapeLimits {
  /** Deepest nesting of objects and arrays. */
  readonly maxDepth: number;
  /** Most values (objects, arrays, members and elements) in the whole body. */
  readonly maxValues: number;
}

export const defaultJsonShapeLimits: JsonShapeLimits = { maxDepth: 100, maxValues: 500_000 };

export class JsonShapeError extends Error {
  readonly limit: 'depth' | 'values';
  constructor(limit: 'depth' | 'values', limits: JsonShapeLimits) {
    super(
      limit === 'depth'
        ? `JSON nesting is deeper than ${limits.maxDepth} levels; no AdmissionReview is`
        : `JSON holds more than ${limits.maxValues} values; no AdmissionReview does`,
    );
    this.name = 'JsonShapeError';
    this.limit = limit;
  }
}

/**
 * One pass over the bytes, counting nesting and values outside strings. Throws JsonShapeError
 * at the first limit crossed. Syntax is left to JSON.parse: this only has to be right for the
 * bodies it lets through. A plain loop over the bytes (about a nanosecond each) beats calling
 * indexOf per string when a body holds hundreds of thousands of short ones.
 */
function assertJsonShape(body: Uint8Array, limits: JsonShapeLimits = defaultJsonShapeLimits): void {
  const count = { depth: 0, values: 1 };
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i] as number;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else {
      countStructure(byte, count, limits);
    }
  }
}

/** Nesting and values for one byte outside strings; throws at the first limit crossed. */
function countStructure(byte: number, count: { depth: number; values: number }, limits: JsonShapeLimits): void {
  if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
    if (++count.depth > limits.maxDepth) throw new JsonShapeError('depth', limits);
    if (++count.values > limits.maxValues) throw new JsonShapeError('values', limits);
  } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
    count.depth--;
  } else if (byte === COMMA && ++count.values > limits.maxValues) {
    throw new JsonShapeError('values', limits);
  }
}

/**
 * Below this size no body can hold more than maxValues values (each costs at least 1.5 bytes:
 * `[],`), and its tree is small whatever its shape; such a body is parsed first (V8's JSON.parse
 * does not recurse) and its shape checked on the tree, which costs a few microseconds for an
 * ordinary review instead of a pass over every byte.
 */
function needsByteScan(body: Uint8Array, limits: JsonShapeLimits = defaultJsonShapeLimits): boolean {
  return body.length > limits.maxValues;
}

/** What secure-json-parse says of a prototype-poisoning key; clients see it in a 400 MalformedJSON. */
const forbiddenPrototypeMessage = 'Object contains forbidden prototype property';

/**
 * The parsed tree's nesting depth, and keys that would poison a prototype when a later
 * merge or spread copies them: `__proto__`, or `constructor` holding an object with its own
 * `prototype` (secure-json-parse's rules, however the key was escaped in the JSON). Throws
 * JsonShapeError past maxDepth, SyntaxError on a poisoning key. One walk does both: it costs
 * less than secure-json-parse's two regular-expression scans of the text alone. Recursive,
 * but never deeper than maxDepth + 1 calls: it throws before descending further, so untrusted
 * input cannot overflow the stack.
 */
function assertTreeShape(value: unknown, limits: JsonShapeLimits = defaultJsonShapeLimits): void {
  if (typeof value === 'object' && value !== null) checkNode(value, 1, limits);
}

function checkNode(node: object, depth: number, limits: JsonShapeLimits): void {
  if (depth > limits.maxDepth) throw new JsonShapeError('depth', limits);
  if (Array.isArray(node)) {
    for (const child of node) if (typeof child === 'object' && child !== null) checkNode(child, depth + 1, limits);
    return;
  }
  for (const key in node) {
    const child = (node as Record<string, unknown>)[key];
    if (poisons(key, child)) throw new SyntaxError(forbiddenPrototypeMessage);
    if (typeof child === 'object' && child !== null) checkNode(child, depth + 1, limits);
  }
}

function poisons(key: string, value: unknown): boolean {
  if (key === '__proto__') return true;
  return key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype');
}

/**
 * A request body as JSON, refused when empty, shaped to cost far more than any AdmissionReview,
 * or carrying prototype-poisoning keys. A large body's shape is checked on its bytes before a
 * tree is built, and secure-json-parse looks for poisoning keys; an ordinary one is parsed at
 * once, without its objects' managedFields (managed-fields.ts), and one walk of its tree
 * checks both.
 */
export function parseJsonBody(body: Buffer, limits: JsonShapeLimits = defaultJsonShapeLimits): unknown {
  if (body.length === 0) throw new SyntaxError('the body is empty');
  if (needsByteScan(body, limits)) {
    assertJsonShape(body, limits);
    return secureJsonParse(body, { protoAction: 'error', constructorAction: 'error' });
  }
  const text = withoutManagedFields(body);
  // As secure-json-parse and fastify's own parser: a byte order mark is not JSON, but harmless.
  const parsed: unknown = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  assertTreeShape(parsed, limits);
  return parsed;
}
