import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.spec.ts', 'scripts/**/*.spec.ts', 'test/**/*.spec.ts', 'web/test/**/*.spec.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e-spec.ts'],
          environment: 'node',
          // One throwaway PostgreSQL cluster per run; every test file gets its own database cloned
          // from a migrated template, so files run in parallel without seeing each other's rows.
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['test/reliability/**/*.reliability-spec.ts'],
          environment: 'node',
          // After unit and e2e: the fault suites kill servers and PostgreSQL and time the answers,
          // which a machine busy with the other projects would make noisy.
          sequence: { groupOrder: 1 },
          // One file at a time for the same reason: a fault suite's timings must not depend on
          // the fuzz suite saturating the other core.
          fileParallelism: false,
          // Same throwaway cluster and compiled dist/ as e2e: the fault suites run the built service
          // in child processes and stop PostgreSQL under it.
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.browser-spec.ts'],
          environment: 'node',
          // Last and alone: the dashboard is built here (vite → dist/web) and its page timings are
          // measured, which the other projects would make noisy.
          sequence: { groupOrder: 2 },
          fileParallelism: false,
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
