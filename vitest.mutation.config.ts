import { defineConfig } from 'vitest/config';

/*
 * The unit specs of the pure logic that `npm run test:mutation` mutates (stryker.config.mjs lists
 * the files). Nothing else: every mutant is tested against these specs, so an unrelated or slow
 * spec multiplies the run's time. Left out for that reason (the ordinary `npm test` runs them):
 * the simulations (sequential-simulation.spec.ts, 500 A/A tests; guardrail-simulation.spec.ts, 200
 * monitored streams) and the random-aggregates property (results-property.spec.ts, ~1,500 whole
 * documents), each of which would rerun for nearly every mutant it covers.
 */
export default defineConfig({
  test: {
    name: 'mutation',
    environment: 'node',
    setupFiles: ['test/mutation/vitest4-coverage-setup.ts'],
    // Instrumented code on a shared machine: Stryker's own per-mutant timeout is what counts.
    testTimeout: 60_000,
    include: [
      'src/common/hash/fnv1a32.spec.ts',
      'src/modules/ab-tests/assignment/bucketing.spec.ts',
      'src/modules/ab-tests/lifecycle/lifecycle.spec.ts',
      'src/modules/ab-tests/lifecycle/traffic-split.spec.ts',
      'src/modules/metrics/log-bucket-sketch.spec.ts',
      'src/modules/metrics/stats/*.spec.ts',
      'src/modules/model-registry/semver.spec.ts',
      'src/modules/model-registry/stage-rules.spec.ts',
    ],
    // mulberry32 is a test helper (seeded streams), not logic under mutation.
    exclude: [
      'src/modules/metrics/stats/sequential-simulation.spec.ts',
      'src/modules/metrics/stats/guardrail-simulation.spec.ts',
      'src/modules/metrics/stats/results-property.spec.ts',
      'src/modules/metrics/stats/mulberry32.spec.ts',
    ],
  },
});
