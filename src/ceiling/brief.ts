/**
 * Bounds on what a message quotes from a policy. A policy may list thousands of ports, except
 * entries or selector values; a denial that quoted them all would be megabytes, copied into
 * the response, the audit record and an Event. Each list shows its first few items and how
 * many more there are, and each quoted part is clipped, so a message stays a few KB.
 */

/** Items of one list a message quotes: port entries, except entries, selector values, requirements. */
export const maxQuotedItems = 5;

/** Characters of one quoted part (a peer, a rule's ports) after its lists are shortened. */
export const maxQuotedChars = 300;

/** The items joined, the first `limit` only and then how many more: `port 1, port 3 and 7998 more`. */
export function quoteList(items: readonly string[], separator: string, limit = maxQuotedItems): string {
  if (items.length <= limit) return items.join(separator);
  return `${items.slice(0, limit).join(separator)} and ${items.length - limit} more`;
}

/** The text itself, or its first characters and how many were left out. */
export function clip(text: string, limit = maxQuotedChars): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}
