import { describe, expect, it } from 'vitest';
import { buildSnapshot } from './build-snapshot.js';
import { guardrailBreaches, MIN_GUARDRAIL_REQUESTS, MIN_LATENCY_GUARDRAIL_N } from './guardrail-breaches.js';
import { mulberry32 } from './mulberry32.js';

const errorsOnly = (requests: number, errors: number) => buildSnapshot({ requests, errors });

describe('guardrailBreaches: max_error_rate', () => {
  it('fires on 20% errors against 1% after a few hundred requests, with the evidence', () => {
    const [breach, ...rest] = guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(300, 60) });
    expect(rest).toEqual([]);
    expect(breach).toMatchObject({ criterion: 'max_error_rate', threshold: 0.01, observed: 0.2, n: 300 });
    expect(breach.lowerBound).toBeGreaterThan(0.1);
    expect(breach.lowerBound).toBeLessThan(0.2);
    expect(breach.reason).toMatch(/^max_error_rate breached by b: 60 errors in 300 requests \(0\.2\), 99% always-valid lower bound 0\.1\d+ > 0\.01$/);
  });

  it.each([100, 1000, 10_000, 100_000, 1_000_000])('does not fire on 0.5%% errors against 1%% at n = %i', (n) => {
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(n, Math.round(n * 0.005)) })).toEqual([]);
  });

  it('does not fire on any of 200 simulated streams at 0.5% checked every 50 requests', () => {
    const random = mulberry32(11);
    for (let stream = 0; stream < 200; stream++) {
      let errors = 0;
      for (let n = 1; n <= 20_000; n++) {
        if (random() < 0.005) errors++;
        if (n % 50 === 0) expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(n, errors) })).toEqual([]);
      }
    }
  });

  it('fires on a modest excess once the sample is large enough, not before', () => {
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(500, 6) })).toEqual([]);
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(100_000, 1500) })).toHaveLength(1);
  });

  it('waits for the minimum number of requests', () => {
    const n = MIN_GUARDRAIL_REQUESTS - 1;
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(n, n) })).toEqual([]);
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(n + 1, n + 1) })).toHaveLength(1);
  });

  it('treats a limit of 0 as "no errors at all"', () => {
    expect(guardrailBreaches({ criteria: { max_error_rate: 0 }, b: errorsOnly(200, 0) })).toEqual([]);
    expect(guardrailBreaches({ criteria: { max_error_rate: 0 }, b: errorsOnly(200, 1) })).toHaveLength(1);
  });

  it('is silent without criteria', () => {
    expect(guardrailBreaches({ criteria: null, b: errorsOnly(1000, 900) })).toEqual([]);
    expect(guardrailBreaches({ criteria: { min_requests: 10 }, b: errorsOnly(1000, 900) })).toEqual([]);
  });
});

describe('guardrailBreaches: max_latency_ms', () => {
  const latency = (n: number, p95: number) => buildSnapshot({ requests: n, latency: { n, sum: n * 100, sumSquares: n * 10_000, p95 } });

  it.each([
    ['p95 20%+ above the limit with enough data', MIN_LATENCY_GUARDRAIL_N, 245, 1],
    ['p95 just under 20% above', MIN_LATENCY_GUARDRAIL_N, 239, 0],
    ['too few observations', MIN_LATENCY_GUARDRAIL_N - 1, 400, 0],
    ['under the limit', 50_000, 150, 0],
  ])('sketch heuristic: %s', (_label, n, p95, count) => {
    expect(guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(n, p95) })).toHaveLength(count);
  });

  it.each([
    ['8% slower than the limit over 1000', 1000, 80, 1],
    ['6% over 1000: could still be p95 ≤ limit', 1000, 60, 0],
    ['5.5% over 200000', 200_000, 11_000, 1],
    ['4% over 200000', 200_000, 8000, 0],
  ])('exceedance counts: %s', (_label, n, slow, count) => {
    const breaches = guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(n, 210), latencyExceedances: slow });
    expect(breaches).toHaveLength(count);
    if (count) expect(breaches[0]).toMatchObject({ criterion: 'max_latency_ms', threshold: 200, observed: 210, n });
  });

  it('uses the exact test instead of the heuristic when counts are given', () => {
    // p95 far above the limit by the sketch, but the counts say only 1% are slow.
    expect(guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(5000, 400), latencyExceedances: 50 })).toEqual([]);
  });
});
