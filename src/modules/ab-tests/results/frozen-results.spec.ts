import { describe, expect, it } from 'vitest';
import { frozenResultsOf } from './frozen-results.js';

const summary = { requests: 1, errors: 0, error_rate: 0, avg_latency: 5, p50_latency: 5, p95_latency: 5, p99_latency: 5, custom: {} };
const frozen = { frozen_at: '2026-01-05T09:00:00.000Z', winner: 'b', notes: null, variant_a: summary, variant_b: summary, results: { test_id: 't' } };

describe('frozenResultsOf', () => {
  it.each<[string, unknown, boolean]>([
    ['the frozen document', frozen, true],
    ['null (not completed, or completed before results were frozen)', null, false],
    ['an empty object', {}, false],
    ['results missing', { ...frozen, results: undefined }, false],
    ['a summary missing', { ...frozen, variant_b: null }, false],
    ['not an object', 'frozen', false],
  ])('%s', (_name, metrics, isFrozen) => {
    expect(frozenResultsOf(metrics)).toBe(isFrozen ? metrics : null);
  });
});
