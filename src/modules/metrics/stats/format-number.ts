/** Four significant digits, without exponent noise for everyday magnitudes. */
export function formatNumber(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const magnitude = Math.abs(x);
  if (magnitude >= 1e-4 && magnitude < 1e9) return String(Number(x.toPrecision(4)));
  return x.toExponential(3);
}

/** 0.0512 → "+5.12%": relative changes in reasons read as percentages with their direction. */
export function formatSignedPercent(x: number): string {
  const percent = x * 100;
  return `${percent > 0 ? '+' : ''}${formatNumber(percent)}%`;
}
