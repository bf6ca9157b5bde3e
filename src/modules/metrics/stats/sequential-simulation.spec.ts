import { describe, expect, it } from 'vitest';
import { buildSnapshot } from './build-snapshot.js';
import { mulberry32, normalSampler } from './mulberry32.js';
import { computeResults } from './results.js';
import type { VariantSnapshot } from './variant-snapshot.js';

/*
 * 500 A/A tests (both arms identical), each read after every one of 20 batches, as someone
 * refreshing the dashboard would. The fixed-horizon p-value "finds" a difference in far more than
 * 5% of them (the peeking problem); the always-valid p-value must stay at or under 5%, and still
 * catch a real difference.
 */
const TESTS = 500;
const BATCHES = 20;
const PER_BATCH = 100; // requests per arm per batch: 2000 per arm by the last look
const ERROR_RATE = 0.05;
const LATENCY_MEAN = 120;
const LATENCY_SD = 30;

interface Arm {
  requests: number;
  errors: number;
  n: number;
  sum: number;
  sumSquares: number;
}

function snapshot(arm: Arm): VariantSnapshot {
  return buildSnapshot({ requests: arm.requests, errors: arm.errors, latency: { n: arm.n, sum: arm.sum, sumSquares: arm.sumSquares } });
}

interface Shares {
  naive: Record<MetricName, number>;
  sequential: Record<MetricName, number>;
}

type MetricName = 'error_rate' | 'latency_ms';
const METRICS: readonly MetricName[] = ['error_rate', 'latency_ms'];

/** Share of tests in which each metric ever reached p < 0.05, naive and always-valid. */
function simulate(tests: number, seed: number, latencyShiftB: number): Shares {
  const uniform = mulberry32(seed);
  const normal = normalSampler(uniform);
  const naiveHits = { error_rate: 0, latency_ms: 0 };
  const sequentialHits = { error_rate: 0, latency_ms: 0 };

  for (let test = 0; test < tests; test++) {
    const arms: Record<'a' | 'b', Arm> = {
      a: { requests: 0, errors: 0, n: 0, sum: 0, sumSquares: 0 },
      b: { requests: 0, errors: 0, n: 0, sum: 0, sumSquares: 0 },
    };
    const looks: Array<{ a: VariantSnapshot; b: VariantSnapshot }> = [];
    const naiveEver = { error_rate: false, latency_ms: false };
    const sequentialEver = { error_rate: false, latency_ms: false };

    for (let batch = 0; batch < BATCHES; batch++) {
      for (const [arm, shift] of [[arms.a, 0], [arms.b, latencyShiftB]] as const) {
        for (let i = 0; i < PER_BATCH; i++) {
          arm.requests++;
          if (uniform() < ERROR_RATE) arm.errors++;
          const latency = LATENCY_MEAN + shift + LATENCY_SD * normal();
          arm.n++;
          arm.sum += latency;
          arm.sumSquares += latency * latency;
        }
      }
      const current = { a: snapshot(arms.a), b: snapshot(arms.b) };
      const doc = computeResults({
        testId: `sim-${test}`,
        status: 'active',
        computedAt: new Date(0),
        split: { a: 0.5, b: 0.5 },
        assignmentsBySplitVersion: [{ split: { a: 0.5, b: 0.5 }, a: arms.a.requests, b: arms.b.requests }],
        metricDeclarations: [],
        // The mixture is tuned to the horizon, the most aggressive honest choice.
        criteria: { min_requests: BATCHES * PER_BATCH },
        current,
        looks,
      });
      looks.push(current);
      for (const name of METRICS) {
        const m = doc.metrics.find((x) => x.name === name)!;
        if (m.p_value! < 0.05) naiveEver[name] = true;
        if (m.sequential_p_value! < 0.05) sequentialEver[name] = true;
        if (m.significant !== m.sequential_p_value! < 0.05) throw new Error('significant disagrees with sequential_p_value');
      }
    }
    for (const name of METRICS) {
      if (naiveEver[name]) naiveHits[name]++;
      if (sequentialEver[name]) sequentialHits[name]++;
    }
  }
  const share = (hits: Record<MetricName, number>) => ({ error_rate: hits.error_rate / tests, latency_ms: hits.latency_ms / tests });
  return { naive: share(naiveHits), sequential: share(sequentialHits) };
}

describe('simulation with continuous monitoring', () => {
  /*
   * The bounds are the figures docs/adr/0003-statistics.md states (0.6% and 1.0% always-valid,
   * 25–26% naive, 86% power), with a margin: the streams are seeded, so the figures only move when
   * the statistics change. Always-valid: at most 7 of 500 tests (3 and 5 documented); naive: at
   * least 110 of 500 (125 and 132); power: at least 84 of 100 (86). A change beyond that means the
   * documented figures must be re-measured.
   */
  it('A/A: keeps the always-valid false-positive rate near 1% (documented 0.6–1.0%) while naive peeking inflates it to ~25%', { timeout: 60_000 }, () => {
    const { naive, sequential } = simulate(TESTS, 20260301, 0);
    for (const name of METRICS) {
      console.log(
        `A/A ${name}: ever p < 0.05 in ${(naive[name] * 100).toFixed(1)}% of ${TESTS} tests with naive p-values, ` +
          `${(sequential[name] * 100).toFixed(1)}% with the always-valid p-value (${BATCHES} looks each)`,
      );
      expect(sequential[name]).toBeLessThanOrEqual(0.015);
      expect(naive[name]).toBeGreaterThanOrEqual(0.22);
    }
  });

  it('A/B: still detects a real latency difference (4 ms on 120 ± 30) in ~86% of tests', { timeout: 60_000 }, () => {
    const { sequential } = simulate(100, 7, -4);
    console.log(`A/B latency_ms −4 ms: always-valid p < 0.05 reached in ${(sequential.latency_ms * 100).toFixed(0)}% of 100 tests`);
    expect(sequential.latency_ms).toBeGreaterThanOrEqual(0.84);
  });
});
