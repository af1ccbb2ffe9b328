/**
 * An AdmissionReview's JSON text with every `managedFields` array emptied, before it is parsed.
 *
 * The API server sends each object with its metadata.managedFields: server-side apply's record
 * of which manager owns which field, one nested object per field with a distinct key per
 * field (`"f:spec"`, `"k:{\"name\":\"nginx\"}"`). For a pod from a Deployment that is half
 * the review's bytes and more than half of JSON.parse's time, and no rule, patch or audit
 * record reads it. Emptying the array in the text (`"managedFields":[]`) keeps the text's
 * structure, so the rest parses exactly as before and the object keeps its type.
 *
 * Only a member that is certainly an object's key is emptied: its opening quote is not
 * escaped, it follows `{` or `,`, a `:` follows it, and its value is an array whose strings
 * and brackets all close. Anything else is left for JSON.parse to read or refuse.
 *
 * Only an ordinary managedFields is skipped unread: no deeper than real ones get (they mirror
 * the object's structure one level down), with no `\u` escape and no string that is
 * `__proto__` or `constructor`. Any other is parsed with the rest, so the shape guard's depth
 * limit and prototype-poisoning refusals (json-shape-guard.ts) apply to it as before. Within
 * an ordinary one nothing is read, so nothing is checked either: a syntax error inside it is
 * read as an empty array, as a streaming parser that skips it would.
 */
const key = '"managedFields"';

/** Deeper than real managedFields get: a pod's reach ~10 levels below the array. */
const ordinaryDepth = 32;


const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

export function withoutManagedFields(text: string): string {
  let at = text.indexOf(key);
  if (at === -1) return text;
  const kept: string[] = [];
  let copiedTo = 0;
  while (at !== -1) {
    const value = managedFieldsValue(text, at);
    if (value === undefined) {
      at = text.indexOf(key, at + key.length);
      continue;
    }
    kept.push(text.slice(copiedTo, value.start), '[]');
    copiedTo = value.end;
    at = text.indexOf(key, value.end);
  }
  if (kept.length === 0) return text;
  kept.push(text.slice(copiedTo));
  return kept.join('');
}

/** Where the array value of the member whose key starts at `at` lies, if it is one. */
function managedFieldsValue(text: string, at: number): { start: number; end: number } | undefined {
  if (!opensKey(text, at)) return undefined;
  const colon = skipWhitespace(text, at + key.length);
  if (text.charCodeAt(colon) !== COLON) return undefined;
  const start = skipWhitespace(text, colon + 1);
  if (text.charCodeAt(start) !== OPEN_BRACKET) return undefined;
  const end = endOfArray(text, start);
  // A \u escape could spell a prototype key the scan would not recognise.
  if (end === -1 || text.slice(start, end).includes('\\u')) return undefined;
  return { start, end };
}

/**
 * The quote at `at` follows `{` or `,` (an escaped quote would follow a backslash): in valid
 * JSON it opens a member's key.
 */
function opensKey(text: string, at: number): boolean {
  let before = at - 1;
  while (before >= 0 && isWhitespace(text.charCodeAt(before))) before--;
  const previous = text.charCodeAt(before);
  return previous === OPEN_BRACE || previous === COMMA;
}

/**
 * Just past the `]` that closes the array opening at `start`, or -1 if the text ends first,
 * nesting passes ordinaryDepth or a string is a prototype key. Strings, most of managedFields'
 * text, are skipped with indexOf. ~8 µs for a pod's 5 KB, where JSON.parse spends ~30.
 */
function endOfArray(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const char = text.charCodeAt(i);
    if (char === QUOTE) {
      const stringEnd = endOfString(text, i);
      if (stringEnd === -1 || isPrototypeKey(text, i, stringEnd)) return -1;
      i = stringEnd;
      continue;
    }
    if (char === OPEN_BRACKET || char === OPEN_BRACE) {
      if (++depth > ordinaryDepth) return -1;
    } else if ((char === CLOSE_BRACKET || char === CLOSE_BRACE) && --depth === 0) return i + 1;
    i++;
  }
  return -1;
}

/**
 * The keys the shape guard refuses (json-shape-guard.ts), quoted: a skipped managedFields may not
 * hold them. Compared only when the length fits, which almost no string's does.
 */
function isPrototypeKey(text: string, start: number, end: number): boolean {
  const length = end - start;
  return (length === 11 && text.startsWith('"__proto__"', start)) || (length === 13 && text.startsWith('"constructor"', start));
}

/** Just past the quote that closes the string opening at `start`, or -1 if none does. */
function endOfString(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return -1;
    if (text.charCodeAt(quote - 1) !== BACKSLASH) return quote + 1;
    let backslashes = 1;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** JSON's four whitespace characters. */
function isWhitespace(char: number): boolean {
  return char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09;
}
