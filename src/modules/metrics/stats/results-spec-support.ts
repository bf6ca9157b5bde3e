import { expect } from 'vitest';
import { buildSnapshot } from './build-snapshot.js';
import type { ResultsInput } from './results.js';
import type { MetricResult } from './results-document.js';

/* Shared by the results specs (example-based and property-based). Not a spec and not mutated. */

export function baseInput(overrides: Partial<ResultsInput> = {}): ResultsInput {
  return {
    testId: 'test-1',
    status: 'active',
    computedAt: new Date('2026-03-01T12:00:00Z'),
    split: { a: 0.5, b: 0.5 },
    assignmentsBySplitVersion: [],
    metricDeclarations: [],
    criteria: null,
    current: { a: buildSnapshot(), b: buildSnapshot() },
    ...overrides,
  };
}

export const byName = (metrics: MetricResult[], name: string): MetricResult => {
  const found = metrics.find((m) => m.name === name);
  expect(found, name).toBeDefined();
  return found!;
};

/** Paths of every number in the document that JSON cannot carry. */
export function nonFinitePaths(value: unknown, path = '$'): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFinitePaths(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nonFinitePaths(v, `${path}.${k}`));
  return [];
}
