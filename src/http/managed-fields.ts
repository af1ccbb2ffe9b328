/**
 * An AdmissionReview's JSON body as text, with every `managedFields` array emptied, for
 * JSON.parse.
 *
 * The API server sends each object with its metadata.managedFields: server-side apply's record
 * of which manager owns which field, one nested object per field with a distinct key per
 * field (`"f:spec"`, `"k:{\"name\":\"nginx\"}"`). For a pod from a Deployment that is half
 * the review's bytes and more than half of JSON.parse's time, and no rule, patch or audit
 * record reads it. Emptying the array in the text (`"managedFields":[]`) keeps the text's
 * structure, so the rest parses exactly as before and the object keeps its type.
 *
 * The body is scanned as bytes and only what is kept is decoded: the skipped half of the
 * review never becomes a string. JSON's structural characters are ASCII, which no byte of a
 * multi-byte UTF-8 character equals, so every cut falls between characters.
 *
 * Only a member that is certainly an object's key is emptied: its opening quote is not
 * escaped, it follows `{` or `,`, a `:` follows it, and its value is an array whose strings
 * and brackets all close. Anything else is left for JSON.parse to read or refuse.
 *
 * Only an ordinary managedFields is skipped unread: no deeper than real ones get (they mirror
 * the object's structure one level down), with no `\u` escape and no string that is
 * `__proto__` or `constructor`. Any other is parsed with the rest, so the shape guard's depth
 * limit and prototype-poisoning refusals (json-shape-guard.ts) apply to it as before. Within
 * an ordinary one only its strings, its brackets and what follows each string are looked at:
 * a syntax error there that leaves those intact (`[1,,2]`, `{"a":tru}`, `}` for `]`) is read
 * as an empty array, as a streaming parser that skips it would. Of every single-byte change
 * to a real pod's managedFields that JSON.parse refuses, ~1 in 5 goes unnoticed so; a fully
 * validating scan costs as much as the parse it saves.
 */
import * as json from './json-bytes.ts';

// Copied into constants of this module: V8 folds those into the scan loop, and not imported
// bindings (measured: 17.5 against 14.7 µs per pod review).
const { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE, isJsonWhitespace } = json;

const key = '"managedFields"';

/** Deeper than real managedFields get: a pod's reach ~10 levels below the array. */
const ordinaryDepth = 32;

/** The keys the shape guard refuses (json-shape-guard.ts), quoted: a skipped managedFields may not hold them. */
const prototypeKey = Buffer.from('"__proto__"');
const constructorKey = Buffer.from('"constructor"');

export function withoutManagedFields(body: Buffer): string {
  let at = body.indexOf(key);
  if (at === -1) return body.toString('utf8');
  let text = '';
  let copiedTo = 0;
  while (at !== -1) {
    const value = managedFieldsValue(body, at);
    if (value === undefined) {
      at = body.indexOf(key, at + key.length);
      continue;
    }
    text += `${body.toString('utf8', copiedTo, value.start)}[]`;
    copiedTo = value.end;
    at = body.indexOf(key, value.end);
  }
  return text + body.toString('utf8', copiedTo);
}

/** Where the array value of the member whose key starts at `at` lies, if it is one. */
function managedFieldsValue(body: Buffer, at: number): { start: number; end: number } | undefined {
  if (!opensKey(body, at)) return undefined;
  const colon = skipWhitespace(body, at + key.length);
  if (body[colon] !== COLON) return undefined;
  const start = skipWhitespace(body, colon + 1);
  if (body[start] !== OPEN_BRACKET) return undefined;
  const end = endOfArray(body, start);
  // A \u escape could spell a prototype key the scan would not recognise.
  if (end === -1 || body.subarray(start, end).includes('\\u')) return undefined;
  return { start, end };
}

/**
 * The quote at `at` follows `{` or `,` (an escaped quote would follow a backslash): in valid
 * JSON it opens a member's key.
 */
function opensKey(body: Buffer, at: number): boolean {
  let before = at - 1;
  while (before >= 0 && isJsonWhitespace(body[before] as number)) before--;
  return body[before] === OPEN_BRACE || body[before] === COMMA;
}

/**
 * Just past the `]` that closes the array opening at `start`, or -1 if the body ends first,
 * nesting passes ordinaryDepth or a string is a prototype key. One plain loop over the bytes:
 * ~10 µs for a pod's 5 KB, where JSON.parse spends ~30.
 */
function endOfArray(body: Buffer, start: number): number {
  let depth = 0;
  for (let i = start; i < body.length; i++) {
    const byte = body[i] as number;
    if (byte === QUOTE) {
      i = skippedString(body, i);
      if (i === -1) return -1;
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > ordinaryDepth) return -1;
    } else if ((byte === CLOSE_BRACKET || byte === CLOSE_BRACE) && --depth === 0) {
      return i + 1;
    }
  }
  return -1;
}

/** Where the string opening at `start` closes, or -1 if it never does or is a prototype key. */
function skippedString(body: Buffer, start: number): number {
  const closing = closingQuote(body, start);
  if (closing === -1 || !mayFollowString(body[skipWhitespace(body, closing + 1)])) return -1;
  // The length first: checked here, it spares almost every string a call.
  const length = closing + 1 - start;
  return (length === prototypeKey.length || length === constructorKey.length) && isPrototypeKey(body, start, closing) ? -1 : closing;
}

/**
 * A key is followed by `:`, a value by `,`, `}` or `]`: anything else means the bytes are not
 * JSON, and the body is left for JSON.parse to refuse.
 */
function mayFollowString(byte: number | undefined): boolean {
  return byte === COLON || byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET;
}

/** Where the quote that closes the string opening at `start` is, or -1 if none does. */
function closingQuote(body: Buffer, start: number): number {
  for (let i = start + 1; i < body.length; i++) {
    const byte = body[i];
    if (byte === QUOTE) return i;
    if (byte === BACKSLASH) i++;
  }
  return -1;
}

function isPrototypeKey(body: Buffer, openingQuote: number, closingQuote: number): boolean {
  const length = closingQuote + 1 - openingQuote;
  const candidate = length === prototypeKey.length ? prototypeKey : constructorKey;
  return body[openingQuote + 1] === candidate[1] && body.compare(candidate, 0, length, openingQuote, closingQuote + 1) === 0;
}

function skipWhitespace(body: Buffer, from: number): number {
  let i = from;
  while (i < body.length && isJsonWhitespace(body[i] as number)) i++;
  return i;
}
