/** Formatting of the benches' result tables (Markdown, printed on stdout). */

/** A whole number with thousands separators: 1,234,567. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Rows as Markdown table lines, `| a | b |` (a separator row, when wanted, is one of the rows). */
export const table = (rows: ReadonlyArray<readonly string[]>): string => rows.map((r) => `| ${r.join(' | ')} |`).join('\n');

/** The element of rank ⌈q·n⌉ of ascending `sorted`. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
