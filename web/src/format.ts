const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Exact counts with thousands separators (never "1.2k"). */
export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : integer.format(value);
}

export function percent(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(digits)}%`;
}

export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${value.toFixed(1)} ms`;
}

/** A number shown with enough significant digits to compare two arms. */
export function num(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '—';
  if (value !== 0 && Math.abs(value) < 1e-4) return value.toExponential(2);
  return Number(value.toPrecision(digits)).toString();
}

export function signed(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '—';
  return `${value > 0 ? '+' : ''}${num(value, digits)}`;
}

export function pValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value < 0.0001) return '< 0.0001';
  return value.toFixed(4);
}

/** "p = 0.0123" or "p < 0.0001", for prose. */
export function pPhrase(value: number | null | undefined): string {
  const text = pValue(value);
  return text.startsWith('<') ? `p ${text}` : `p = ${text}`;
}

export function dateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 19)} UTC`;
}

/** `custom:accuracy` → `accuracy`; the built-in metric names in words. */
export function metricLabel(name: string): string {
  if (name === 'error_rate') return 'error rate';
  if (name === 'latency_ms') return 'latency (ms)';
  return name.startsWith('custom:') ? name.slice('custom:'.length) : name;
}
