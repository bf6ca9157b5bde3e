import type { AbTestResults } from '../shadow/shadow-results.js';

import type { AbTestMetricsSummary, VariantMetricsSummary } from '../metrics-ports.js';
import type { Variant } from '../../../common/variant.js';

/**
 * What `ab_tests.metrics` holds once a test has completed: the per-variant summary (what
 * `GET /ab-tests/{id}` shows) and the whole results document (what `GET /ab-tests/{id}/results`
 * shows), both from the same read, with the decision taken on them.
 */
export interface FrozenResults extends AbTestMetricsSummary {
  frozen_at: string;
  winner: Variant | null;
  notes: string | null;
  variant_a: VariantMetricsSummary;
  variant_b: VariantMetricsSummary;
  results: AbTestResults;
}

/** The frozen results in a test's `metrics` column, or null when there are none (yet). */
export function frozenResultsOf(metrics: unknown): FrozenResults | null {
  if (typeof metrics !== 'object' || metrics === null) return null;
  const candidate = metrics as Partial<FrozenResults>;
  const isObject = (value: unknown) => typeof value === 'object' && value !== null;
  if (!isObject(candidate.results) || !isObject(candidate.variant_a) || !isObject(candidate.variant_b)) return null;
  return candidate as FrozenResults;
}
