import { describe, expect, it } from 'vitest';
import type { GuardrailBreach, Recommendation } from '../../metrics/stats/index.js';
import { decideRolloutCheck, type RolloutCheckInput } from './rollout-decision.js';

const T0 = new Date('2026-01-05T09:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const keepRunning: Recommendation = { decision: 'keep_running', reasons: ['not yet'] };
const breach: GuardrailBreach = { criterion: 'max_error_rate', threshold: 0.05, observed: 0.3, n: 400, lowerBound: 0.2, reason: 'max_error_rate breached by b' };

function input(overrides: Partial<RolloutCheckInput> & { step?: number; autoComplete?: boolean } = {}): RolloutCheckInput {
  return {
    rollout: {
      steps: [0.05, 0.1, 0.25, 0.5],
      stepMinSeconds: 60,
      stepMinRequests: 100,
      autoComplete: overrides.autoComplete ?? true,
      currentStep: overrides.step ?? 0,
      stepStartedAt: T0,
      stepBaseline: { a: 1000, b: 50 },
      ...overrides.rollout,
    },
    now: at(61),
    requests: { a: 1200, b: 200 },
    breaches: [],
    sampleRatio: { mismatch: false, p_value: 0.4 },
    recommendation: keepRunning,
    ...overrides,
  };
}

describe('decideRolloutCheck', () => {
  it('starts the step clock first', () => {
    expect(decideRolloutCheck(input({ rollout: { ...input().rollout, stepStartedAt: null } }))).toEqual({ action: 'start_step' });
  });

  it('advances when duration, requests in the step and sample ratio allow, with the figures', () => {
    const decision = decideRolloutCheck(input());
    expect(decision).toMatchObject({
      action: 'advance',
      toStep: 1,
      share: 0.1,
      figures: { step: 0, share: 0.05, step_seconds: 61, requests_in_step: { a: 200, b: 150 }, sample_ratio_p_value: 0.4 },
    });
  });

  it.each([
    ['too short', { now: at(59) }, /lasted 59 of 60 s/],
    ['too few requests in b since the step began', { requests: { a: 1200, b: 149 } }, /b has 99 of 100 requests/],
    ['sample ratio mismatch', { sampleRatio: { mismatch: true, p_value: 1e-6 } }, /sample ratio mismatch/],
  ])('waits while %s', (_, overrides, reason) => {
    const decision = decideRolloutCheck(input(overrides as Partial<RolloutCheckInput>));
    expect(decision.action).toBe('wait');
    expect(decision.action === 'wait' && decision.state).toBe('ramping');
    expect(decision.action === 'wait' && decision.reasons.join('; ')).toMatch(reason);
  });

  it('rolls back on a breach even before the step is done', () => {
    expect(decideRolloutCheck(input({ now: at(1), breaches: [breach] }))).toEqual({ action: 'rollback', breaches: [breach] });
  });

  it.each([
    ['ship_b', { action: 'complete', winner: 'b', promote: true }],
    ['keep_a', { action: 'complete', winner: null, promote: false }],
    ['no_difference', { action: 'complete', winner: null, promote: false }],
    ['keep_running', { action: 'wait', state: 'holding' }],
    ['stop_guardrail', { action: 'wait', state: 'holding' }],
  ] as const)('at the last step with auto_complete, %s → %o', (decision, expected) => {
    expect(decideRolloutCheck(input({ step: 3, recommendation: { decision, reasons: ['r'] } }))).toMatchObject(expected);
  });

  it('holds at the last step without auto_complete whatever the recommendation', () => {
    expect(decideRolloutCheck(input({ step: 3, autoComplete: false, recommendation: { decision: 'ship_b', reasons: [] } }))).toMatchObject({ action: 'wait', state: 'holding' });
  });
});
