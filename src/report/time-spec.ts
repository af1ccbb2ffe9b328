/**
 * `--since` / `--until` values: an RFC 3339 time (`2026-11-30T16:00:00Z`, with an offset or
 * fractional seconds), or a duration back from now (`90s`, `15m`, `1h30m`, `7d`), as
 * `kubectl logs --since` takes durations.
 */

const rfc3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)$/;
const duration = /^(?:\d+[smhd])+$/;
const unitMs: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export type TimeSpec = { readonly ok: true; readonly epochMs: number } | { readonly ok: false; readonly error: string };

export function parseTimeSpec(text: string, nowMs: number): TimeSpec {
  if (rfc3339.test(text)) {
    const epochMs = Date.parse(text);
    if (!Number.isNaN(epochMs)) return { ok: true, epochMs };
  }
  if (duration.test(text)) return { ok: true, epochMs: nowMs - durationMs(text) };
  return { ok: false, error: `"${text}" is neither an RFC 3339 time (2026-11-30T16:00:00Z) nor a duration (90s, 15m, 1h30m, 7d)` };
}

function durationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) total += Number(amount) * (unitMs[unit ?? 's'] ?? 0);
  return total;
}
