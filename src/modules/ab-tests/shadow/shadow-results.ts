import type { ResultsDocument } from '../../metrics/stats/index.js';
import type { AbTestCriteria } from '../entities/ab-test.entity.js';
import { shadowSection, shadowVerdict, type ShadowSection, type ShadowTotals } from './shadow-stats.js';

/** The results of a test: a shadow test's also hold the `shadow` section. */
export type AbTestResults = ResultsDocument & { shadow?: ShadowSection };

/**
 * A shadow test's results: the A/B document (a's served requests; b has none) with the shadow
 * section added and the criteria and recommendation of a shadow test in place of the A/B ones.
 */
export function withShadowResults(document: ResultsDocument, criteria: AbTestCriteria | null, totals: ShadowTotals): AbTestResults {
  const shadow = shadowSection(totals);
  const verdict = shadowVerdict(criteria, totals, shadow);
  return { ...document, criteria: verdict.criteria, recommendation: verdict.recommendation, shadow };
}
