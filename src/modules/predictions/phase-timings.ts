/** The steps of serving one classification, in the order they run. */
export const PHASES = ['assignment', 'model_load', 'inference', 'prediction_store', 'metrics'] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseTotals {
  modelType: string;
  /** Classifications that completed every phase. */
  count: number;
  /** Total wall time per phase, in milliseconds. */
  totalMs: Record<Phase, number>;
}

interface Totals {
  count: number;
  ms: Float64Array;
}

/**
 * Where the server time of classifications goes, per model type: plain additions on the hot path
 * (a few nanoseconds per request). Read by diagnostics and `npm run bench:inference`
 * (mean time per phase = totalMs / count).
 */
export class PhaseTimings {
  private readonly totals = new Map<string, Totals>();

  /** `marks` holds performance.now() readings: the start, then the end of each phase in PHASES order. */
  record(modelType: string, marks: readonly number[]): void {
    let totals = this.totals.get(modelType);
    if (!totals) {
      totals = { count: 0, ms: new Float64Array(PHASES.length) };
      this.totals.set(modelType, totals);
    }
    totals.count++;
    for (let i = 0; i < PHASES.length && i + 1 < marks.length; i++) totals.ms[i]! += marks[i + 1]! - marks[i]!;
  }

  snapshot(): PhaseTotals[] {
    return [...this.totals].map(([modelType, totals]) => ({
      modelType,
      count: totals.count,
      totalMs: Object.fromEntries(PHASES.map((phase, i) => [phase, totals.ms[i]!])) as Record<Phase, number>,
    }));
  }
}

let shared: PhaseTimings | null = null;

/** One accumulator per process, whatever the number of app instances in it. */
export function phaseTimings(): PhaseTimings {
  shared ??= new PhaseTimings();
  return shared;
}
