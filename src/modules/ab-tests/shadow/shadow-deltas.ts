import { LogBucketSketch } from '../../metrics/log-bucket-sketch.js';
import type { ComparisonCell } from './shadow-stats.js';

/** Disagreements kept per test for review; older ones are deleted as new ones arrive. */
export const MAX_DISAGREEMENTS_PER_TEST = 1000;
/** Characters of a disagreement's input kept for review. */
export const DISAGREEMENT_INPUT_MAX_CHARS = 200;
/** Labels whose input is never stored, as the conversation module stores such messages. */
const PII_LABELS: ReadonlySet<string> = new Set(['pii']);
export const REDACTED_INPUT = '[redacted: a model flagged personal data]';

/** One request both a and b answered. Latencies are of the inference alone, as for served requests. */
export interface Comparison {
  labelA: string;
  labelB: string;
  latencyMsA: number;
  latencyMsB: number;
  scoreA?: number | null;
  scoreB?: number | null;
  /** The input, for the disagreement review; redacted and truncated before it is kept. */
  input?: string | null;
}

export interface Disagreement {
  labelA: string;
  labelB: string;
  scoreA: number | null;
  scoreB: number | null;
  input: string | null;
  at: Date;
}

/**
 * What an input may look like in the review list: nothing at all when either model called it
 * personal data, otherwise e-mail addresses and long digit runs (phone, card, account numbers)
 * masked, and at most 200 characters.
 */
export function redactInput(input: string | null | undefined, labelA: string, labelB: string): string | null {
  if (input === null || input === undefined) return null;
  if (PII_LABELS.has(labelA) || PII_LABELS.has(labelB)) return REDACTED_INPUT;
  const masked = input.replace(/[^\s@]+@[^\s@]+\.[^\s@]+/g, '[email]').replace(/\d[\d\s-]{4,}\d/g, '[number]');
  return masked.length > DISAGREEMENT_INPUT_MAX_CHARS ? `${masked.slice(0, DISAGREEMENT_INPUT_MAX_CHARS - 1)}…` : masked;
}

/** Comparisons, b's failures and drops of one test since the last flush. Additive, like the metric deltas. */
export class ShadowDeltas {
  readonly cells = new Map<string, ComparisonCell>();
  errorsB = 0;
  dropped = 0;
  /** Newest last; never more than MAX_DISAGREEMENTS_PER_TEST. */
  disagreements: Disagreement[] = [];

  get isEmpty(): boolean {
    return this.cells.size === 0 && this.errorsB === 0 && this.dropped === 0;
  }

  addComparison(comparison: Comparison, at: Date = new Date()): void {
    const cell = this.cell(comparison.labelA, comparison.labelB);
    cell.count++;
    cell.latencyA.add(comparison.latencyMsA);
    cell.latencyB.add(comparison.latencyMsB);
    if (comparison.labelA !== comparison.labelB) {
      this.pushDisagreements([
        {
          labelA: comparison.labelA,
          labelB: comparison.labelB,
          scoreA: comparison.scoreA ?? null,
          scoreB: comparison.scoreB ?? null,
          input: redactInput(comparison.input, comparison.labelA, comparison.labelB),
          at,
        },
      ]);
    }
  }

  merge(other: ShadowDeltas): void {
    for (const source of other.cells.values()) {
      const cell = this.cell(source.labelA, source.labelB);
      cell.count += source.count;
      cell.latencyA.merge(source.latencyA);
      cell.latencyB.merge(source.latencyB);
    }
    this.errorsB += other.errorsB;
    this.dropped += other.dropped;
    this.pushDisagreements(other.disagreements);
  }

  private pushDisagreements(items: readonly Disagreement[]): void {
    if (items.length === 0) return;
    this.disagreements.push(...items);
    if (this.disagreements.length > MAX_DISAGREEMENTS_PER_TEST) this.disagreements = this.disagreements.slice(-MAX_DISAGREEMENTS_PER_TEST);
  }

  private cell(labelA: string, labelB: string): ComparisonCell {
    const key = `${labelA}\u0000${labelB}`;
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = { labelA, labelB, count: 0, latencyA: new LogBucketSketch(), latencyB: new LogBucketSketch() };
      this.cells.set(key, cell);
    }
    return cell;
  }
}
