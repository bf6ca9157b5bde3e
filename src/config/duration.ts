const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_557_600 };

/**
 * A lifetime such as `15m`, `24h`, `30d`, `1y` or a bare number of seconds, in whole seconds;
 * null when it is not one. Anchored and linear: no backtracking on any input.
 */
export function parseDuration(raw: string): number | null {
  const match = /^(\d{1,12})([smhdwy]?)$/.exec(raw.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : null;
}
