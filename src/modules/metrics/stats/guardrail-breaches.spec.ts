import { describe, expect, it } from 'vitest';
import { buildSnapshot } from './build-snapshot.js';
import { guardrailBreaches } from './guardrail-breaches.js';
import { scipyReference, toleranceViolation } from './scipy-reference.js';

const errorsOnly = (requests: number, errors: number) => buildSnapshot({ requests, errors });
/** The always-valid bound at α = 0.01, computed by scripts/stats-fixtures.py with scipy (brentq on its own mixture). */
const scipyBound = (events: number, n: number) => scipyReference.rate_exceeds.find((c) => c.events === events && c.n === n)!.expected.lower_bound;

describe('guardrailBreaches: max_error_rate', () => {
  it('fires on 20% errors against 1% after a few hundred requests, with the evidence', () => {
    const [breach, ...rest] = guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(300, 60) });
    expect(rest).toEqual([]);
    expect(breach).toMatchObject({ criterion: 'max_error_rate', threshold: 0.01, observed: 0.2, n: 300 });
    // The 99% bound (α = 0.01): a 95% one would be larger, a 99.9% one smaller.
    expect(toleranceViolation(breach.lowerBound, scipyBound(60, 300), 'lower bound')).toBeNull();
    expect(breach.lowerBound).toBeCloseTo(0.1245, 4);
    expect(breach.reason).toBe('max_error_rate breached by b: 60 errors in 300 requests (0.2), 99% always-valid lower bound 0.1245 > 0.01');
  });

  it.each([100, 1000, 10_000, 100_000, 1_000_000])('does not fire on 0.5%% errors against 1%% at n = %i', (n) => {
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(n, Math.round(n * 0.005)) })).toEqual([]);
  });

  it('fires on a modest excess once the sample is large enough, not before', () => {
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(500, 6) })).toEqual([]);
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(100_000, 1500) })).toHaveLength(1);
  });

  it('waits for 100 requests', () => {
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(99, 99) })).toEqual([]);
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01 }, b: errorsOnly(100, 100) })).toHaveLength(1);
  });

  it('treats a limit of 0 as "no errors at all"', () => {
    expect(guardrailBreaches({ criteria: { max_error_rate: 0 }, b: errorsOnly(200, 0) })).toEqual([]);
    expect(guardrailBreaches({ criteria: { max_error_rate: 0 }, b: errorsOnly(200, 1) })).toHaveLength(1);
  });

  it('never fires on a limit of 1 or more (every error rate is within it)', () => {
    expect(guardrailBreaches({ criteria: { max_error_rate: 1 }, b: errorsOnly(1000, 1000) })).toEqual([]);
    expect(guardrailBreaches({ criteria: { max_error_rate: 1.5 }, b: errorsOnly(1000, 1000) })).toEqual([]);
  });

  it('is silent without criteria', () => {
    expect(guardrailBreaches({ criteria: null, b: errorsOnly(1000, 900) })).toEqual([]);
    expect(guardrailBreaches({ criteria: { min_requests: 10 }, b: errorsOnly(1000, 900) })).toEqual([]);
  });
});

describe('guardrailBreaches: max_latency_ms', () => {
  const latency = (n: number, p95: number) => buildSnapshot({ requests: n, latency: { n, sum: n * 100, sumSquares: n * 10_000, p95 } });

  it.each([
    ['p95 20%+ above the limit with enough data', 1000, 245, 1],
    ['p95 just under 20% above', 1000, 239, 0],
    ['too few observations', 999, 400, 0],
    ['p95 exactly 20% above: not more than 20%', 1000, 240, 0],
    ['an infinite p95 is no estimate', 5000, Infinity, 0],
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

  it('waits for 100 latency observations', () => {
    expect(guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(99, 400), latencyExceedances: 99 })).toEqual([]);
    const [breach] = guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(100, 400), latencyExceedances: 100 });
    expect(breach).toMatchObject({ criterion: 'max_latency_ms', n: 100, observed: 400 });
  });

  it('states the evidence at the 99% level', () => {
    const [breach] = guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(1000, 210), latencyExceedances: 80 });
    expect(toleranceViolation(breach!.lowerBound, scipyBound(80, 1000), 'lower bound')).toBeNull();
    expect(breach!.reason).toBe('max_latency_ms breached by b: 80 of 1000 requests slower than 200 ms, 99% always-valid lower bound on that share 0.05231 > 0.05');
    const [heuristic] = guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(1000, 245) });
    expect(heuristic).toEqual({
      criterion: 'max_latency_ms',
      threshold: 200,
      observed: 245,
      n: 1000,
      lowerBound: null,
      reason: 'max_latency_ms breached by b: p95 245 ms over 1000 requests, more than 20% above 200 ms',
    });
  });

  it.each([
    ['more exceedances than observations count as all of them', 1200, 'b: 1000 of 1000 requests'],
    ['a fractional count is rounded', 79.6, 'b: 80 of 1000 requests'],
  ])('exceedance counts are clamped: %s', (_label, slow, text) => {
    const [breach] = guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(1000, 210), latencyExceedances: slow });
    expect(breach!.reason).toContain(text);
  });

  it('a negative exceedance count is none', () => {
    expect(guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(1000, 210), latencyExceedances: -50 })).toEqual([]);
  });

  it('reports an infinite sketch p95 as unknown with the counts', () => {
    const [breach] = guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(1000, Infinity), latencyExceedances: 80 });
    expect(breach).toMatchObject({ criterion: 'max_latency_ms', observed: null, n: 1000 });
  });

  it('reports both guardrails when both are breached, error rate first', () => {
    const b = buildSnapshot({ requests: 1000, errors: 200, latency: { n: 1000, sum: 1000 * 100, sumSquares: 1000 * 10_000, p95: 400 } });
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.01, max_latency_ms: 200 }, b, latencyExceedances: 900 }).map((x) => x.criterion)).toEqual(['max_error_rate', 'max_latency_ms']);
  });

  it('ignores exceedance counts when no latency limit is declared', () => {
    const b = buildSnapshot({ requests: 1000, errors: 0, latency: { n: 1000, sum: 1000 * 100, sumSquares: 1000 * 10_000, p95: 400 } });
    expect(guardrailBreaches({ criteria: { max_error_rate: 0.5 }, b, latencyExceedances: 900 })).toEqual([]);
  });

  it('uses the exact test instead of the heuristic when counts are given', () => {
    // p95 far above the limit by the sketch, but the counts say only 1% are slow.
    expect(guardrailBreaches({ criteria: { max_latency_ms: 200 }, b: latency(5000, 400), latencyExceedances: 50 })).toEqual([]);
  });
});
