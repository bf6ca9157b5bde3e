import { evaluateCriteria, declaredCriteria, primaryMetricName, type Criteria, type MetricDeclaration } from './criteria.js';
import { probabilityBBetter, relativeDifference } from './effect-size.js';
import { guardrailBreaches } from './guardrail-breaches.js';
import { alwaysValidPValue, DEFAULT_TARGET_N, SEQUENTIAL_ALPHA } from './msprt.js';
import { recommend } from './recommendation.js';
import { meanSequentialPValue, proportionSequentialPValue } from './sequential-p-value.js';
import type { ArmSummary, MetricResult, ResultsDocument } from './results-document.js';
import { sampleRatioMismatch, type SplitVersionAssignments, type TrafficSplit } from './sample-ratio.js';
import { twoProportionTest, type ProportionArm } from './two-proportion-test.js';
import { sampleMean, sampleVariance, toSampleStats, type Moments, type VariantSnapshot } from './variant-snapshot.js';
import { welchTTest } from './welch-t-test.js';

/** Everything the results need, as plain data; AbTestResultsService assembles it from the aggregates and the assignments. */
export interface ResultsInput {
  testId: string;
  status: string;
  computedAt: Date;
  /** The split in force now; only used for the expected shares before any assignment. */
  split: TrafficSplit;
  /** Assignment counts per split that was in force, in any order. */
  assignmentsBySplitVersion: SplitVersionAssignments[];
  /** Custom metrics declared at creation, in declaration order. */
  metricDeclarations: MetricDeclaration[];
  criteria: Criteria | null;
  /** Cumulative totals for each variant now. */
  current: { a: VariantSnapshot; b: VariantSnapshot };
  /**
   * Earlier cumulative totals, one per past look (e.g. per day or per time bucket), in any order.
   * The sequential p-value is the minimum over these and `current`; without them it is the
   * current look's alone, which is still valid but forgets evidence seen earlier.
   */
  looks?: Array<{ a: VariantSnapshot; b: VariantSnapshot }>;
  /** b's latency observations slower than criteria.max_latency_ms, if the sketch can count them. */
  latencyExceedances?: number;
}

type Pair = { a: VariantSnapshot; b: VariantSnapshot };

interface MetricSpec {
  name: string;
  kind: 'proportion' | 'mean';
  higherIsBetter: boolean;
  moments: (snapshot: VariantSnapshot) => Moments;
}

const EMPTY_MOMENTS: Moments = { n: 0, sum: 0, sumSquares: 0 };

/**
 * The results document of DESIGN.md's results contract, computed from aggregates only (pure,
 * deterministic for a given input). Metrics are error_rate, latency_ms, then custom:<name> for
 * declared custom metrics in declaration order and then undeclared ones alphabetically.
 */
export function computeResults(input: ResultsInput): ResultsDocument {
  const { current } = input;
  const looks = [...(input.looks ?? []), current];
  const criteria = declaredCriteria(input.criteria);
  const targetN = criteria.min_requests ?? DEFAULT_TARGET_N;

  const metrics = metricSpecs(input.metricDeclarations, current).map((spec) =>
    spec.kind === 'proportion' ? proportionMetric(spec, current, looks, targetN) : meanMetric(spec, current, looks, targetN),
  );

  const primaryName = primaryMetricName(input.metricDeclarations, current);
  const primary = metrics.find((m) => m.name === primaryName) ?? metrics[0];
  const criteriaResults = evaluateCriteria(criteria, current, {
    name: primary.name,
    higherIsBetter: primary.higher_is_better,
    a: primary.a.mean,
    b: primary.b.mean,
  });
  const breaches = guardrailBreaches({ criteria, b: current.b, latencyExceedances: input.latencyExceedances });
  const sampleRatio = sampleRatioMismatch(input.assignmentsBySplitVersion, input.split);

  return {
    test_id: input.testId,
    status: input.status,
    computed_at: input.computedAt.toISOString(),
    sample_ratio: sampleRatio,
    metrics,
    criteria: criteriaResults,
    recommendation: recommend({ criteria: criteriaResults, breaches, primary, metrics, sampleRatio }),
  };
}

function metricSpecs(declarations: readonly MetricDeclaration[], current: Pair): MetricSpec[] {
  const specs: MetricSpec[] = [
    { name: 'error_rate', kind: 'proportion', higherIsBetter: false, moments: errorMoments },
    { name: 'latency_ms', kind: 'mean', higherIsBetter: false, moments: (s) => s.latency },
  ];
  const seen = new Set<string>();
  const custom = (name: string, higherIsBetter: boolean): MetricSpec => ({
    name: `custom:${name}`,
    kind: 'mean',
    higherIsBetter,
    moments: (s) => s.custom[name] ?? EMPTY_MOMENTS,
  });
  for (const declaration of declarations) {
    if (seen.has(declaration.name)) continue;
    seen.add(declaration.name);
    specs.push(custom(declaration.name, declaration.higher_is_better));
  }
  const undeclared = [...new Set([...Object.keys(current.a.custom), ...Object.keys(current.b.custom)])]
    .filter((name) => !seen.has(name))
    // Default order: UTF-16 code units, the same as comparing with `<`.
    .sort();
  for (const name of undeclared) specs.push(custom(name, true));
  return specs;
}

/* Errors as 0/1 values: the same Moments shape, so proportions flow through the same plumbing. */
function errorMoments(s: VariantSnapshot): Moments {
  return { n: s.requests, sum: s.errors, sumSquares: s.errors };
}

function proportionArm(s: VariantSnapshot): ProportionArm {
  return { n: s.requests, events: s.errors };
}

function proportionMetric(spec: MetricSpec, current: Pair, looks: readonly Pair[], targetN: number): MetricResult {
  const test = twoProportionTest(proportionArm(current.a), proportionArm(current.b));
  const summary = (s: VariantSnapshot): ArmSummary => ({ n: s.requests, mean: finiteOrNull(sampleMean(errorMoments(s))) });
  const base = { name: spec.name, kind: spec.kind, higher_is_better: spec.higherIsBetter, a: summary(current.a), b: summary(current.b) };
  if (test === null) return { ...base, ...NO_COMPARISON };
  const sequential = alwaysValidPValue(looks.map((look) => proportionSequentialPValue(proportionArm(look.a), proportionArm(look.b), targetN)));
  const meanA = current.a.errors / current.a.requests;
  return {
    ...base,
    difference: finiteOrNull(test.difference),
    relative_difference: finiteOrNull(relativeDifference(meanA, current.b.errors / current.b.requests)),
    ci95: finitePairOrNull(test.ci95),
    p_value: finiteOrNull(test.pValue),
    sequential_p_value: finiteOrNull(sequential),
    probability_b_better: finiteOrNull(probabilityBBetter(test.difference, test.se, spec.higherIsBetter)),
    significant: sequential < SEQUENTIAL_ALPHA,
  };
}

function meanMetric(spec: MetricSpec, current: Pair, looks: readonly Pair[], targetN: number): MetricResult {
  const summary = (s: VariantSnapshot): ArmSummary => {
    const m = spec.moments(s);
    const variance = sampleVariance(m);
    const arm = { n: m.n, mean: finiteOrNull(sampleMean(m)), std_dev: finiteOrNull(variance === null ? null : Math.sqrt(variance)) };
    if (spec.name !== 'latency_ms') return arm;
    return { ...arm, p50: finiteOrNull(s.latency.p50), p95: finiteOrNull(s.latency.p95), p99: finiteOrNull(s.latency.p99) };
  };
  const base = { name: spec.name, kind: spec.kind, higher_is_better: spec.higherIsBetter, a: summary(current.a), b: summary(current.b) };
  const a = toSampleStats(spec.moments(current.a));
  const b = toSampleStats(spec.moments(current.b));
  if (a === null || b === null) return { ...base, ...NO_COMPARISON };
  // Never null here: toSampleStats is already null below the two observations Welch needs.
  const test = welchTTest(a, b);
  if (test === null) return { ...base, ...NO_COMPARISON };
  const sequential = alwaysValidPValue(looks.map((look) => meanSequentialPValue(spec.moments(look.a), spec.moments(look.b), targetN)));
  return {
    ...base,
    difference: finiteOrNull(test.difference),
    relative_difference: finiteOrNull(relativeDifference(a.mean, b.mean)),
    ci95: finitePairOrNull(test.ci95),
    p_value: finiteOrNull(test.pValue),
    sequential_p_value: finiteOrNull(sequential),
    probability_b_better: finiteOrNull(probabilityBBetter(test.difference, test.se, spec.higherIsBetter)),
    significant: sequential < SEQUENTIAL_ALPHA,
  };
}

const NO_COMPARISON = {
  difference: null,
  relative_difference: null,
  ci95: null,
  p_value: null,
  sequential_p_value: null,
  probability_b_better: null,
  significant: false,
} as const;

/* JSON has no NaN, Infinity or −0: anything else would not survive a round trip unchanged. */
function finiteOrNull(x: number | null | undefined): number | null {
  if (typeof x !== 'number' || !Number.isFinite(x)) return null;
  return x === 0 ? 0 : x;
}

function finitePairOrNull(pair: [number, number]): [number, number] | null {
  const low = finiteOrNull(pair[0]);
  const high = finiteOrNull(pair[1]);
  return low === null || high === null ? null : [low, high];
}
