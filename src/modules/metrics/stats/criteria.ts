import { relativeImprovement } from './effect-size.js';
import type { CriterionResult } from './results-document.js';
import type { VariantSnapshot } from './variant-snapshot.js';

/** Success criteria as declared when the test was created (stored jsonb, snake_case). */
export interface Criteria {
  /** Requests each arm needs before the test may conclude. */
  min_requests?: number;
  /** Highest acceptable error rate of b (guardrail). */
  max_error_rate?: number;
  /** Highest acceptable p95 latency of b in ms (guardrail). */
  max_latency_ms?: number;
  /** Smallest relative improvement of b on the primary metric worth shipping (0.02 = 2%). */
  min_improvement?: number;
}

/** A custom metric declared at creation; undeclared custom metrics are higher-is-better. */
export interface MetricDeclaration {
  name: string;
  higher_is_better: boolean;
}

/** The metric `min_improvement` and the recommendation judge b on. */
export interface PrimaryMetric {
  /** Metric name as listed in the results (`error_rate` or `custom:<name>`). */
  name: string;
  higherIsBetter: boolean;
  a: number | null;
  b: number | null;
}

/** The criteria with finite numeric thresholds, in contract order; anything else is ignored. */
export function declaredCriteria(criteria: Criteria | null | undefined): Criteria {
  const out: Criteria = {};
  if (!criteria) return out;
  for (const key of ['min_requests', 'max_error_rate', 'max_latency_ms', 'min_improvement'] as const) {
    const value = criteria[key];
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

/**
 * The primary metric is the first declared custom metric once either arm has recorded it, and
 * error rate otherwise. Undeclared metrics never become primary: their alphabetical position is
 * an accident, and the primary metric must not change because a new metric name appeared.
 */
export function primaryMetricName(declarations: readonly MetricDeclaration[], current: { a: VariantSnapshot; b: VariantSnapshot }): string {
  const first = declarations[0];
  if (first && ((current.a.custom[first.name]?.n ?? 0) > 0 || (current.b.custom[first.name]?.n ?? 0) > 0)) {
    return `custom:${first.name}`;
  }
  return 'error_rate';
}

/**
 * Evaluates each declared criterion on point estimates, with the numbers behind it:
 * - min_requests: both arms have at least that many requests;
 * - max_error_rate: b's error rate ≤ threshold;
 * - max_latency_ms: b's p95 latency ≤ threshold;
 * - min_improvement: b's relative improvement on the primary metric ≥ threshold, where
 *   improvement = (b − a)/a for higher-is-better metrics and (a − b)/a otherwise.
 * A criterion that cannot be evaluated yet (no data, a = 0) is not met. Whether a guardrail is
 * breached with confidence is a separate, stricter question: see guardrailBreaches.
 */
export function evaluateCriteria(
  criteria: Criteria | null | undefined,
  current: { a: VariantSnapshot; b: VariantSnapshot },
  primary: PrimaryMetric,
): CriterionResult[] {
  const declared = declaredCriteria(criteria);
  const results: CriterionResult[] = [];
  if (declared.min_requests !== undefined) {
    const threshold = declared.min_requests;
    const observed = { a: current.a.requests, b: current.b.requests };
    results.push({ name: 'min_requests', threshold, observed, met: observed.a >= threshold && observed.b >= threshold });
  }
  if (declared.max_error_rate !== undefined) {
    const threshold = declared.max_error_rate;
    const observed = current.b.requests > 0 ? current.b.errors / current.b.requests : null;
    results.push({ name: 'max_error_rate', threshold, observed, met: observed !== null && observed <= threshold });
  }
  if (declared.max_latency_ms !== undefined) {
    const threshold = declared.max_latency_ms;
    const p95 = current.b.latency.p95;
    const observed = Number.isFinite(p95) ? p95 : null;
    results.push({ name: 'max_latency_ms', threshold, observed, met: observed !== null && observed <= threshold });
  }
  if (declared.min_improvement !== undefined) {
    const threshold = declared.min_improvement;
    const improvement =
      primary.a === null || primary.b === null ? null : relativeImprovement(primary.a, primary.b, primary.higherIsBetter);
    results.push({
      name: 'min_improvement',
      threshold,
      observed: { metric: primary.name, a: primary.a, b: primary.b, improvement },
      met: improvement !== null && improvement >= threshold,
    });
  }
  return results;
}
