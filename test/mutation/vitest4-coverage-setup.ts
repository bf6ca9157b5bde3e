import { afterAll, inject } from 'vitest';

/*
 * Stryker 9.4's vitest runner hands per-test coverage and hit counts back through
 * `afterAll((suite) => suite.meta…)`. Vitest 4 passes a fixture context first and the suite second
 * (its `afterAll((suite) => …)` never sees the suite), so without this hook Stryker gets no
 * coverage and runs every spec for every mutant. Mutation runs only (vitest.mutation.config.ts).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    globalNamespace: string;
    mode: 'dry-run' | 'mutant';
  }
  export interface TaskMeta {
    mutantCoverage?: unknown;
    hitCount?: number;
  }
}

interface StrykerNamespace {
  mutantCoverage?: unknown;
  hitCount?: number;
}

// Vitest 4 requires the fixtures argument to be a destructuring pattern; the suite comes second.
// eslint-disable-next-line no-empty-pattern
afterAll(({}, suite) => {
  const ns = (globalThis as unknown as Record<string, StrykerNamespace | undefined>)[inject('globalNamespace')];
  if (ns === undefined) return;
  if (inject('mode') === 'mutant') suite.meta.hitCount = ns.hitCount;
  else suite.meta.mutantCoverage = ns.mutantCoverage;
});
