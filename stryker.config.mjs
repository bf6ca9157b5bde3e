// @ts-check
/**
 * `npm run test:mutation`: StrykerJS over the pure decision logic (statistics, criteria,
 * recommendation, guardrails, hashing and bucket ranges, the lifecycle table, traffic-split rules,
 * the latency sketch, semver and stage rules), tested by the unit specs in vitest.mutation.config.ts.
 *
 * - The file list is explicit on purpose: a new file enters the run by being added here, not by
 *   landing in a folder.
 * - Incremental: results are kept in test/mutation/stryker-incremental.json (committed), so a run
 *   re-tests only mutants in changed code or covered by changed tests. Refresh it with
 *   `npm run test:mutation -- --force` after large changes and commit the file.
 * - Surviving mutants that no test can kill (equivalent: no input tells them from the original)
 *   are listed below with the reason. They stay visible in the report rather than being disabled:
 *   a `// Stryker disable next-line` comment works per line and mutator, and would also hide the
 *   killable twin (the `false` of each `true`) on the same line.
 * - Versions 9.4.x: Stryker 10 requires Node ≥ 22.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
/*
 * Equivalent survivors (file:line, mutant — why no input can tell it from the original):
 * criteria.ts:38, `typeof value === 'number'` → true — Number.isFinite is false for every non-number.
 * criteria.ts:92, `primary.a === null` → false — with a null, (b − a)/a is ±∞ or NaN, which relativeDifference maps to null.
 * guardrail-breaches.ts:70, `maxErrorRate !== undefined` → true — with no limit, `undefined < 1` is false.
 * guardrail-breaches.ts:106, `maxLatency !== undefined` → true, `… && p95 !== null` → `||`, and both
 *   conditions → true (3 mutants) — `p95 > undefined · 1.2` is false.
 * guardrail-breaches.ts:106, `p95 !== null` → true — `null > limit · 1.2` is false for a limit > 0 (the DTO requires > 0).
 * recommendation.ts:90, `c.name is max_error_rate or max_latency_ms` → true — unmet min_requests and
 *   min_improvement have returned earlier, so only guardrails can be unmet there.
 * recommendation.ts:106, `m.difference !== null` → true — `null < 0` and `null > 0` are both false.
 * recommendation.ts:124, `metric.sequential_p_value !== null` → true — describeEffect only sees metrics
 *   with a sequential p-value (the primary after its null check, significant others).
 * sequential-p-value.ts:32, `sa === null || sb === null` → false, `&&`, either side → false (4 mutants) —
 *   both arms have n ≥ 30 there, and toSampleStats is null only below 2.
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/common/hash/fnv1a32.ts',
    'src/modules/ab-tests/assignment/bucketing.ts',
    'src/modules/ab-tests/lifecycle/lifecycle.ts',
    'src/modules/ab-tests/lifecycle/traffic-split.ts',
    'src/modules/metrics/log-bucket-sketch.ts',
    'src/modules/metrics/stats/criteria.ts',
    'src/modules/metrics/stats/effect-size.ts',
    'src/modules/metrics/stats/format-number.ts',
    'src/modules/metrics/stats/guardrail-breaches.ts',
    'src/modules/metrics/stats/msprt.ts',
    'src/modules/metrics/stats/rate-exceedance.ts',
    'src/modules/metrics/stats/recommendation.ts',
    'src/modules/metrics/stats/results.ts',
    'src/modules/metrics/stats/sample-ratio.ts',
    'src/modules/metrics/stats/sequential-p-value.ts',
    'src/modules/metrics/stats/two-proportion-test.ts',
    'src/modules/metrics/stats/variant-snapshot.ts',
    'src/modules/metrics/stats/welch-t-test.ts',
    'src/modules/model-registry/semver.ts',
    'src/modules/model-registry/stage-rules.ts',
  ],
  // Static mutants (module-level constants and tables evaluated at import) need a fresh module
  // graph per mutant, which costs a whole test run each; the specs keep one graph
  // (vitest.mutation.config.ts). Numeric thresholds are not mutated by Stryker at all: the specs pin
  // them with written-out values instead (see sample-ratio, guardrail and sequential specs).
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'test/mutation/stryker-incremental.json',
  // The machine is shared: two test runners at most.
  concurrency: 2,
  // Instrumented statistics are slower; a busy machine slower still.
  timeoutMS: 10_000,
  // 90% is the target (the report shows less in red). CI breaks below 80, just under the first
  // full run's 83.3% (results.ts, rate-exceedance.ts, log-bucket-sketch.ts, msprt.ts, semver.ts,
  // format-number.ts and traffic-split.ts are still under 90%): a ratchet, to be raised to 90 as
  // their survivors are killed.
  thresholds: { high: 95, low: 90, break: 80 },
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
