import type { GuardrailBreach, Recommendation, SampleRatioResult } from '../../metrics/stats/index.js';
import { formatNumber } from '../../metrics/stats/index.js';
import type { Rollout, RolloutState, StepBaseline } from './rollout.store.js';

/** What the scheduler sees at one check of one rollout (all cumulative figures of the test). */
export interface RolloutCheckInput {
  rollout: Pick<Rollout, 'steps' | 'stepMinSeconds' | 'stepMinRequests' | 'autoComplete' | 'currentStep' | 'stepStartedAt' | 'stepBaseline'>;
  now: Date;
  /** Requests per arm recorded so far. */
  requests: StepBaseline;
  /** Guardrails breached with confidence (guardrailBreaches: the bounds auto-pause uses). */
  breaches: readonly GuardrailBreach[];
  sampleRatio: Pick<SampleRatioResult, 'mismatch' | 'p_value'>;
  recommendation: Recommendation;
}

/** The numbers behind a step decision, as the audit event records them. */
export interface StepFigures {
  step: number;
  share: number;
  step_seconds: number;
  step_min_seconds: number;
  requests_in_step: StepBaseline;
  step_min_requests: number;
  sample_ratio_p_value: number | null;
  guardrails_breached: number;
}

export type RolloutDecision =
  /** The test is active but its step's clock has not started (first check after a start). */
  | { action: 'start_step' }
  | { action: 'rollback'; breaches: readonly GuardrailBreach[] }
  | { action: 'advance'; toStep: number; share: number; figures: StepFigures; reasons: string[] }
  | { action: 'complete'; winner: 'b' | null; promote: boolean; figures: StepFigures; reasons: string[] }
  | { action: 'wait'; state: Extract<RolloutState, 'ramping' | 'holding'>; reasons: string[] };

/**
 * One check of a rollout, first matching rule wins:
 * 1. the step has not started → start_step;
 * 2. a guardrail is breached with confidence → rollback (b to 0, test paused);
 * 3. the step is not done — it has lasted less than step_min_seconds, an arm has fewer than
 *    step_min_requests since it began, or the sample ratio mismatches → wait;
 * 4. before the last step → advance to the next;
 * 5. at the last step with auto_complete: ship_b → complete with winner b and promote;
 *    keep_a or no_difference → complete without a winner; anything else → wait (holding);
 *    without auto_complete → wait (holding) for a person.
 */
export function decideRolloutCheck(input: RolloutCheckInput): RolloutDecision {
  const { rollout, now, requests, breaches, sampleRatio, recommendation } = input;
  if (rollout.stepStartedAt === null) return { action: 'start_step' };
  if (breaches.length > 0) return { action: 'rollback', breaches };

  const last = rollout.steps.length - 1;
  const atLast = rollout.currentStep >= last;
  const state = atLast ? 'holding' : 'ramping';
  const baseline = rollout.stepBaseline ?? { a: 0, b: 0 };
  const figures: StepFigures = {
    step: rollout.currentStep,
    share: rollout.steps[rollout.currentStep]!,
    step_seconds: Math.max(0, (now.getTime() - rollout.stepStartedAt.getTime()) / 1000),
    step_min_seconds: rollout.stepMinSeconds,
    requests_in_step: { a: Math.max(0, requests.a - baseline.a), b: Math.max(0, requests.b - baseline.b) },
    step_min_requests: rollout.stepMinRequests,
    sample_ratio_p_value: sampleRatio.p_value,
    guardrails_breached: 0,
  };
  const waiting: string[] = [];
  if (figures.step_seconds < rollout.stepMinSeconds) waiting.push(`step ${rollout.currentStep} has lasted ${formatNumber(figures.step_seconds)} of ${rollout.stepMinSeconds} s`);
  for (const arm of ['a', 'b'] as const) {
    if (figures.requests_in_step[arm] < rollout.stepMinRequests) waiting.push(`${arm} has ${figures.requests_in_step[arm]} of ${rollout.stepMinRequests} requests in this step`);
  }
  if (sampleRatio.mismatch) waiting.push(`sample ratio mismatch (p = ${formatNumber(sampleRatio.p_value ?? 0)}): holding until assignment is fixed`);
  if (waiting.length > 0) return { action: 'wait', state, reasons: waiting };

  const done = `step ${rollout.currentStep} (b at ${formatNumber(figures.share)}) lasted ${formatNumber(figures.step_seconds)} s with ${figures.requests_in_step.a} requests in a and ${figures.requests_in_step.b} in b, no guardrail breached, no sample ratio mismatch`;
  if (!atLast) {
    const toStep = rollout.currentStep + 1;
    return { action: 'advance', toStep, share: rollout.steps[toStep]!, figures, reasons: [done] };
  }
  if (!rollout.autoComplete) return { action: 'wait', state: 'holding', reasons: ['last step reached; auto_complete is off: a person completes the test'] };
  switch (recommendation.decision) {
    case 'ship_b':
      return { action: 'complete', winner: 'b', promote: true, figures, reasons: [done, `recommendation ship_b: ${recommendation.reasons.join('; ')}`] };
    case 'keep_a':
    case 'no_difference':
      return { action: 'complete', winner: null, promote: false, figures, reasons: [done, `recommendation ${recommendation.decision}: ${recommendation.reasons.join('; ')}`] };
    default:
      return { action: 'wait', state: 'holding', reasons: [`last step reached; recommendation ${recommendation.decision}: ${recommendation.reasons.join('; ')}`] };
  }
}
