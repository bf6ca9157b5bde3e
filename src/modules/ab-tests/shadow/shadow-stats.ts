import { LogBucketSketch } from '../../metrics/log-bucket-sketch.js';
import { formatNumber, guardrailBreaches, type CriterionResult, type Recommendation } from '../../metrics/stats/index.js';
import { buildSnapshot } from '../../metrics/stats/build-snapshot.js';
import type { AbTestCriteria } from '../entities/ab-test.entity.js';
import { wilsonInterval } from './wilson.js';

/** Comparisons a shadow test needs before it can be `ready_for_ab` when it declares no `min_requests`. */
export const DEFAULT_MIN_COMPARISONS = 1000;

/** One cell of the confusion matrix as stored: how often a said `labelA` while b said `labelB`, and how long each took. */
export interface ComparisonCell {
  labelA: string;
  labelB: string;
  count: number;
  latencyA: LogBucketSketch;
  latencyB: LogBucketSketch;
}

export interface ShadowTotals {
  cells: readonly ComparisonCell[];
  /** b's runs that failed (no label): b's errors, never seen by a user. */
  errorsB: number;
  /** Comparisons not made because the in-process queue was full. */
  dropped: number;
}

export interface Quantiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** The `shadow` section of a shadow test's results (wire format). */
export interface ShadowSection {
  /** Requests both a and b answered; the confusion counts sum to this. */
  compared: number;
  dropped: number;
  agreement: { rate: number | null; ci95: [number, number] | null };
  /** label of a → label of b → comparisons. */
  confusion: Record<string, Record<string, number>>;
  /** Of the compared requests, from the latency sketches (±1%). */
  latency_ms: { a: Quantiles; b: Quantiles };
  /** rate = n / (compared + n): the share of b's runs that failed. */
  errors_b: { n: number; rate: number | null };
}

export function shadowSection(totals: ShadowTotals): ShadowSection {
  let compared = 0;
  let agreed = 0;
  const confusion: Record<string, Record<string, number>> = {};
  const latencyA = new LogBucketSketch();
  const latencyB = new LogBucketSketch();
  const cells = [...totals.cells].sort((x, y) => compare(x.labelA, y.labelA) || compare(x.labelB, y.labelB));
  for (const cell of cells) {
    if (!(cell.count > 0)) continue;
    compared += cell.count;
    if (cell.labelA === cell.labelB) agreed += cell.count;
    (confusion[cell.labelA] ??= {})[cell.labelB] = cell.count;
    latencyA.merge(cell.latencyA);
    latencyB.merge(cell.latencyB);
  }
  const runsB = compared + totals.errorsB;
  return {
    compared,
    dropped: totals.dropped,
    agreement: { rate: compared > 0 ? agreed / compared : null, ci95: wilsonInterval(agreed, compared) },
    confusion,
    latency_ms: { a: quantiles(latencyA), b: quantiles(latencyB) },
    errors_b: { n: totals.errorsB, rate: runsB > 0 ? totals.errorsB / runsB : null },
  };
}

export interface ShadowVerdict {
  criteria: CriterionResult[];
  recommendation: Recommendation;
}

/**
 * The criteria and recommendation of a shadow test, first matching rule wins:
 * 1. stop_guardrail: b's error rate or its p95 latency (over its runs) is above `max_error_rate` /
 *    `max_latency_ms` with the same always-valid confidence the auto-pause uses;
 * 2. keep_shadowing: fewer comparisons than `min_requests` (default 1,000);
 * 3. keep_shadowing: a declared criterion is not met on its point estimate (`min_agreement`:
 *    agreement rate ≥ threshold; `max_error_rate`: b's error rate ≤ threshold; `max_latency_ms`:
 *    b's p95 ≤ threshold);
 * 4. ready_for_ab.
 */
export function shadowVerdict(criteria: AbTestCriteria | null | undefined, totals: ShadowTotals, section: ShadowSection): ShadowVerdict {
  const declared = criteria ?? {};
  const results: CriterionResult[] = [];
  const latencyB = new LogBucketSketch();
  for (const cell of totals.cells) latencyB.merge(cell.latencyB);
  const minComparisons = finite(declared.min_requests) ?? DEFAULT_MIN_COMPARISONS;

  if (finite(declared.min_requests) !== undefined) {
    results.push({ name: 'min_requests', threshold: minComparisons, observed: { a: section.compared, b: section.compared }, met: section.compared >= minComparisons });
  }
  const maxErrorRate = finite(declared.max_error_rate);
  if (maxErrorRate !== undefined) {
    const observed = section.errors_b.rate;
    results.push({ name: 'max_error_rate', threshold: maxErrorRate, observed, met: observed !== null && observed <= maxErrorRate });
  }
  const maxLatency = finite(declared.max_latency_ms);
  if (maxLatency !== undefined) {
    const observed = section.latency_ms.b.p95;
    results.push({ name: 'max_latency_ms', threshold: maxLatency, observed, met: observed !== null && observed <= maxLatency });
  }
  const minAgreement = finite(declared.min_agreement);
  if (minAgreement !== undefined) {
    const observed = section.agreement.rate;
    results.push({ name: 'min_agreement', threshold: minAgreement, observed, met: observed !== null && observed >= minAgreement });
  }

  const b = buildSnapshot({
    requests: section.compared + section.errors_b.n,
    errors: section.errors_b.n,
    latency: { n: latencyB.count, p50: section.latency_ms.b.p50, p95: section.latency_ms.b.p95, p99: section.latency_ms.b.p99 },
  });
  const breaches = guardrailBreaches({
    criteria: { max_error_rate: maxErrorRate, max_latency_ms: maxLatency },
    b,
    latencyExceedances: maxLatency === undefined ? undefined : latencyB.countAbove(maxLatency),
  });
  if (breaches.length > 0) return { criteria: results, recommendation: { decision: 'stop_guardrail', reasons: breaches.map((breach) => breach.reason) } };

  if (section.compared < minComparisons) {
    return {
      criteria: results,
      recommendation: { decision: 'keep_shadowing', reasons: [`${section.compared} of ${minComparisons} comparisons needed (min_requests${finite(declared.min_requests) === undefined ? ', default' : ''})`] },
    };
  }
  const unmet = results.filter((c) => !c.met);
  if (unmet.length > 0) {
    return { criteria: results, recommendation: { decision: 'keep_shadowing', reasons: unmet.map(describeUnmet) } };
  }
  const agreement = section.agreement;
  const reasons = [
    `b agreed with a on ${formatNumber(agreement.rate ?? 0)} of ${section.compared} compared requests (95% CI ${formatInterval(agreement.ci95)})`,
    ...(results.length > 0 ? [`criteria met: ${results.map((c) => c.name).join(', ')}`] : []),
  ];
  return { criteria: results, recommendation: { decision: 'ready_for_ab', reasons } };
}

function describeUnmet(criterion: CriterionResult): string {
  switch (criterion.name) {
    case 'min_agreement':
      return criterion.observed === null
        ? 'min_agreement cannot be checked yet: no comparisons'
        : `min_agreement not met: b agreed on ${formatNumber(criterion.observed)} of compared requests, below ${formatNumber(criterion.threshold)}`;
    case 'max_error_rate':
    case 'max_latency_ms':
      return criterion.observed === null
        ? `${criterion.name} cannot be checked yet: no data for b`
        : `${criterion.name} not met: b at ${formatNumber(criterion.observed)} against ${formatNumber(criterion.threshold)}, not yet a confident breach`;
    case 'min_requests':
      return `min_requests not reached: ${criterion.observed.a} of ${criterion.threshold} comparisons`;
    default:
      return `${criterion.name} not met`;
  }
}

function quantiles(sketch: LogBucketSketch): Quantiles {
  const [p50, p95, p99] = sketch.quantiles([0.5, 0.95, 0.99]);
  return { p50: p50 ?? null, p95: p95 ?? null, p99: p99 ?? null };
}

function finite(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function formatInterval(ci: [number, number] | null): string {
  return ci === null ? 'n/a' : `[${formatNumber(ci[0])}, ${formatNumber(ci[1])}]`;
}

function compare(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
