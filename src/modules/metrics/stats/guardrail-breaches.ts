import { declaredCriteria, type Criteria } from './criteria.js';
import { formatNumber } from './format-number.js';
import { rateExceedsThreshold, rateLowerBound } from './rate-exceedance.js';
import type { VariantSnapshot } from './variant-snapshot.js';

/*
 * A breach pauses the test, so it must be a confident one: 1% false alarms per test at the
 * boundary, and far fewer when b is actually below it. The bounds are always valid, so checking
 * after every flush does not erode that.
 */
export const GUARDRAIL_ALPHA = 0.01;

/* Not needed for validity; keeps a warm-up burst in the first requests from stopping a test. */
export const MIN_GUARDRAIL_REQUESTS = 100;

/*
 * Fallback for latency when only sketch quantiles are known: the p95 estimate from n values has
 * a rank error of about √(0.0475·n), which at n = 1000 is ±7 of the 50 slowest values; with the
 * sketch's 1% value error, 20% above the limit is well clear of both for typical latency tails.
 */
export const MIN_LATENCY_GUARDRAIL_N = 1000;
export const LATENCY_GUARDRAIL_MARGIN = 1.2;

/** p95 ≤ limit ⇔ at most 5% of requests are slower than the limit. */
const P95_TAIL_SHARE = 0.05;

/** "99%" for α = 0.01: the reasons state the confidence the bounds are computed at. */
const CONFIDENCE = `${formatNumber((1 - GUARDRAIL_ALPHA) * 100)}%`;

export interface GuardrailInput {
  criteria: Criteria | null | undefined;
  b: VariantSnapshot;
  /**
   * How many of b's latency observations exceeded `criteria.max_latency_ms`, when the caller can
   * count them (from the sketch's buckets). Makes the latency guardrail exact instead of heuristic.
   */
  latencyExceedances?: number;
}

export interface GuardrailBreach {
  criterion: 'max_error_rate' | 'max_latency_ms';
  threshold: number;
  /** b's error rate, or b's p95 latency (null when no quantile is known). */
  observed: number | null;
  /** Requests (error rate) or latency observations (latency) behind the decision. */
  n: number;
  /**
   * Always-valid 99% lower bound on b's error rate, or on b's share of requests slower than the
   * limit; null for the quantile heuristic.
   */
  lowerBound: number | null;
  /** Human-readable account, used as a recommendation reason and in audit events. */
  reason: string;
}

/**
 * Guardrails b has breached with confidence, for auto-pausing a test and for `stop_guardrail`:
 * - max_error_rate: the always-valid 99% lower bound on b's error rate exceeds the limit
 *   (a mixture sequential test, see rate-exceedance.ts), after at least 100 requests;
 * - max_latency_ms: with `latencyExceedances`, the same test shows more than 5% of b's requests
 *   slower than the limit (i.e. p95 above it); without, b's sketch p95 exceeds the limit by 20%
 *   after at least 1000 latency observations.
 * Returns [] when nothing is declared or nothing is breached.
 */
export function guardrailBreaches({ criteria, b, latencyExceedances }: GuardrailInput): GuardrailBreach[] {
  const declared = declaredCriteria(criteria);
  const breaches: GuardrailBreach[] = [];

  const maxErrorRate = declared.max_error_rate;
  if (maxErrorRate !== undefined && b.requests >= MIN_GUARDRAIL_REQUESTS && maxErrorRate < 1) {
    const observed = b.errors / b.requests;
    const breached = maxErrorRate <= 0 ? b.errors > 0 : rateExceedsThreshold(b.errors, b.requests, maxErrorRate, GUARDRAIL_ALPHA);
    if (breached) {
      const lowerBound = rateLowerBound(b.errors, b.requests, GUARDRAIL_ALPHA);
      breaches.push({
        criterion: 'max_error_rate',
        threshold: maxErrorRate,
        observed,
        n: b.requests,
        lowerBound,
        reason:
          `max_error_rate breached by b: ${b.errors} errors in ${b.requests} requests (${formatNumber(observed)}), ` +
          `${CONFIDENCE} always-valid lower bound ${formatNumber(lowerBound)} > ${formatNumber(maxErrorRate)}`,
      });
    }
  }

  const maxLatency = declared.max_latency_ms;
  const n = b.latency.n;
  const p95 = Number.isFinite(b.latency.p95) ? b.latency.p95 : null;
  if (maxLatency !== undefined && latencyExceedances !== undefined && n >= MIN_GUARDRAIL_REQUESTS) {
    const slow = Math.min(Math.max(0, Math.round(latencyExceedances)), n);
    if (rateExceedsThreshold(slow, n, P95_TAIL_SHARE, GUARDRAIL_ALPHA)) {
      const lowerBound = rateLowerBound(slow, n, GUARDRAIL_ALPHA);
      breaches.push({
        criterion: 'max_latency_ms',
        threshold: maxLatency,
        observed: p95,
        n,
        lowerBound,
        reason:
          `max_latency_ms breached by b: ${slow} of ${n} requests slower than ${formatNumber(maxLatency)} ms, ` +
          `${CONFIDENCE} always-valid lower bound on that share ${formatNumber(lowerBound)} > ${formatNumber(P95_TAIL_SHARE)}`,
      });
    }
  } else if (maxLatency !== undefined && p95 !== null && n >= MIN_LATENCY_GUARDRAIL_N && p95 > maxLatency * LATENCY_GUARDRAIL_MARGIN) {
    breaches.push({
      criterion: 'max_latency_ms',
      threshold: maxLatency,
      observed: p95,
      n,
      lowerBound: null,
      reason:
        `max_latency_ms breached by b: p95 ${formatNumber(p95)} ms over ${n} requests, ` +
        `more than 20% above ${formatNumber(maxLatency)} ms`,
    });
  }
  return breaches;
}
