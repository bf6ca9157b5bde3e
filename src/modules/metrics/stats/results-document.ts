import type { SampleRatioResult } from './sample-ratio.js';

/**
 * The body of GET /api/v1/ab-tests/{test_id}/results (DESIGN.md, "Results contract"). Keys are
 * snake_case because this is the wire format; every number is finite or null so the document
 * serialises to JSON without loss.
 */
export interface ResultsDocument {
  test_id: string;
  status: string;
  computed_at: string;
  sample_ratio: SampleRatioResult;
  metrics: MetricResult[];
  criteria: CriterionResult[];
  recommendation: Recommendation;
}

export type MetricKind = 'proportion' | 'mean';

export interface ProportionArmSummary {
  n: number;
  mean: number | null;
}

export interface MeanArmSummary {
  n: number;
  mean: number | null;
  /** Sample standard deviation (n − 1); null below two observations. */
  std_dev: number | null;
}

export interface LatencyArmSummary extends MeanArmSummary {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export type ArmSummary = ProportionArmSummary | MeanArmSummary | LatencyArmSummary;

export interface MetricResult {
  /** `error_rate`, `latency_ms` or `custom:<name>` */
  name: string;
  kind: MetricKind;
  higher_is_better: boolean;
  a: ArmSummary;
  b: ArmSummary;
  /** b − a; this and every field below is null when either arm has n < 2. */
  difference: number | null;
  /** (b − a) / a; also null when a's mean is 0. */
  relative_difference: number | null;
  ci95: [number, number] | null;
  /** Fixed-horizon p-value: valid only if looked at once. */
  p_value: number | null;
  /** Always-valid mSPRT p-value: valid at every look. */
  sequential_p_value: number | null;
  probability_b_better: number | null;
  /** sequential_p_value < 0.05 */
  significant: boolean;
}

export type CriterionResult =
  | { name: 'min_requests'; threshold: number; observed: { a: number; b: number }; met: boolean }
  /** observed: b's error rate (null before b's first request) */
  | { name: 'max_error_rate'; threshold: number; observed: number | null; met: boolean }
  /** observed: b's p95 latency (null before b's first latency) */
  | { name: 'max_latency_ms'; threshold: number; observed: number | null; met: boolean }
  | { name: 'min_improvement'; threshold: number; observed: ImprovementObservation; met: boolean }
  /** Shadow tests: observed is the agreement rate of b with a (null before the first comparison) */
  | { name: 'min_agreement'; threshold: number; observed: number | null; met: boolean };

/** The primary metric's means and b's relative improvement on it (positive = b better). */
export interface ImprovementObservation {
  metric: string;
  a: number | null;
  b: number | null;
  improvement: number | null;
}

/** A/B tests: the first five; shadow tests: ready_for_ab, keep_shadowing or stop_guardrail. */
export type Decision = 'keep_running' | 'ship_b' | 'keep_a' | 'no_difference' | 'stop_guardrail' | 'ready_for_ab' | 'keep_shadowing';

export interface Recommendation {
  decision: Decision;
  reasons: string[];
}
