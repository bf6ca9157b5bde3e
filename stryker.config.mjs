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
 * - Equivalent mutants are marked where they occur with `// Stryker disable next-line <mutator>:
 *   <reason>`; `grep -rn "Stryker disable" src` lists them all.
 * - Versions 9.4.x: Stryker 10 requires Node ≥ 22.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/common/hash/fnv1a32.ts',
    'src/modules/ab-tests/bucketing.ts',
    'src/modules/ab-tests/lifecycle.ts',
    'src/modules/ab-tests/traffic-split.ts',
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
  thresholds: { high: 95, low: 90, break: 90 },
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
