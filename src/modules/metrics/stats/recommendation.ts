import { formatNumber, formatSignedPercent } from './format-number.js';
import type { GuardrailBreach } from './guardrail-breaches.js';
import type { CriterionResult, MetricResult, Recommendation } from './results-document.js';
import type { SampleRatioResult } from './sample-ratio.js';

export interface RecommendationInput {
  criteria: readonly CriterionResult[];
  breaches: readonly GuardrailBreach[];
  /** The primary metric's entry (see primaryMetricName). */
  primary: MetricResult;
  /** All metric entries, to warn about other metrics b significantly worsens. */
  metrics: readonly MetricResult[];
  sampleRatio: SampleRatioResult;
}

/**
 * The recommendation, first matching rule wins:
 * 1. stop_guardrail: a guardrail is breached by b with confidence (guardrailBreaches).
 * 2. keep_running: sample ratio mismatch; the data cannot be trusted until assignment is fixed.
 * 3. keep_running: `min_requests` is declared and not reached in an arm.
 * 4. keep_running: the primary metric has n < 2 in an arm.
 * 5. Primary metric significant (always-valid p < 0.05) in b's favour:
 *    no_difference if `min_improvement` is declared and not met (real but too small to matter);
 *    keep_running if another declared criterion is unmet on its point estimate but not breached
 *    with confidence; ship_b otherwise.
 * 6. Primary metric significant in a's favour: keep_a.
 * 7. Not significant: no_difference once `min_requests` is declared and reached; without it there
 *    is no agreed sample size to give up at, so keep_running.
 * Significance is always the sequential p-value, so acting on any look is sound.
 */
export function recommend({ criteria, breaches, primary, metrics, sampleRatio }: RecommendationInput): Recommendation {
  if (breaches.length > 0) {
    return { decision: 'stop_guardrail', reasons: breaches.map((breach) => breach.reason) };
  }

  if (sampleRatio.mismatch) {
    return {
      decision: 'keep_running',
      reasons: [
        `sample ratio mismatch: ${sampleRatio.observed.a} assignments to a and ${sampleRatio.observed.b} to b against an expected ` +
          `${formatNumber(sampleRatio.expected.a)}/${formatNumber(sampleRatio.expected.b)} split (p = ${formatNumber(sampleRatio.p_value ?? 0)}); ` +
          'assignment or metric recording is broken, so no result can be trusted until it is fixed',
      ],
    };
  }

  const minRequests = findCriterion(criteria, 'min_requests');
  if (minRequests && !minRequests.met) {
    const reasons = (['a', 'b'] as const)
      .filter((arm) => minRequests.observed[arm] < minRequests.threshold)
      .map((arm) => `min_requests not reached: ${minRequests.observed[arm]} of ${minRequests.threshold} in ${arm}`);
    return { decision: 'keep_running', reasons };
  }

  if (primary.sequential_p_value === null || primary.difference === null) {
    return {
      decision: 'keep_running',
      reasons: [`not enough data on ${primary.name} to compare: n = ${primary.a.n} in a, ${primary.b.n} in b`],
    };
  }

  if (!primary.significant) {
    const summary = `no significant difference on ${primary.name} (${describeEffect(primary)})`;
    if (minRequests) return { decision: 'no_difference', reasons: [`${summary} after reaching min_requests`] };
    return {
      decision: 'keep_running',
      reasons: [`${summary} yet; declare min_requests to set the sample size at which to stop`],
    };
  }

  const bBetter = primary.higher_is_better ? primary.difference > 0 : primary.difference < 0;
  if (!bBetter) {
    return { decision: 'keep_a', reasons: [`a is significantly better on ${primary.name} (${describeEffect(primary)})`] };
  }

  const won = `b is significantly better on ${primary.name} (${describeEffect(primary)})`;
  const minImprovement = findCriterion(criteria, 'min_improvement');
  if (minImprovement && !minImprovement.met) {
    const improvement = minImprovement.observed.improvement;
    return {
      decision: 'no_difference',
      reasons: [
        improvement === null
          ? `${won}, but its relative improvement is undefined because a's mean is 0`
          : `${won}, but the improvement ${formatSignedPercent(improvement)} is below min_improvement ${formatSignedPercent(minImprovement.threshold)}`,
      ],
    };
  }

  const unmetGuardrails = criteria.filter((c): c is GuardrailCriterion => (c.name === 'max_error_rate' || c.name === 'max_latency_ms') && !c.met);
  if (unmetGuardrails.length > 0) {
    return {
      decision: 'keep_running',
      reasons: [
        won,
        ...unmetGuardrails.map((c) =>
          c.observed === null
            ? `${c.name} cannot be checked yet: no data for b`
            : `${c.name} not met: b at ${formatNumber(c.observed)} against ${formatNumber(c.threshold)}, not yet a confident breach`,
        ),
      ],
    };
  }

  const warnings = metrics
    .filter((m) => m.name !== primary.name && m.significant && m.difference !== null && (m.higher_is_better ? m.difference < 0 : m.difference > 0))
    .map((m) => `note: b is significantly worse on ${m.name} (${describeEffect(m)})`);
  const met = criteria.length > 0 ? [`criteria met: ${criteria.map((c) => c.name).join(', ')}`] : [];
  return { decision: 'ship_b', reasons: [won, ...met, ...warnings] };
}

type GuardrailCriterion = Extract<CriterionResult, { name: 'max_error_rate' | 'max_latency_ms' }>;

function findCriterion<N extends CriterionResult['name']>(
  criteria: readonly CriterionResult[],
  name: N,
): Extract<CriterionResult, { name: N }> | undefined {
  return criteria.find((c): c is Extract<CriterionResult, { name: N }> => c.name === name);
}

function describeEffect(metric: MetricResult): string {
  const parts = [`a ${formatNumber(metric.a.mean ?? 0)}, b ${formatNumber(metric.b.mean ?? 0)}`];
  if (metric.relative_difference !== null) parts.push(formatSignedPercent(metric.relative_difference));
  if (metric.sequential_p_value !== null) parts.push(`sequential p = ${formatNumber(metric.sequential_p_value)}`);
  return parts.join(', ');
}
