import { describe, expect, it } from 'vitest';
import { planSegments } from './time-ranges.js';

const at = (iso: string) => Date.parse(iso);
const show = (segments: ReturnType<typeof planSegments>) =>
  segments.map((s) => `${s.grain} ${s.from === null ? '-∞' : new Date(s.from).toISOString().slice(5, 16)} → ${s.to === null ? '∞' : new Date(s.to).toISOString().slice(5, 16)}`);

describe('planSegments', () => {
  it('no range: every day rollup', () => {
    expect(show(planSegments(null, null))).toEqual(['day -∞ → ∞']);
  });

  it('whole days, whole hours at the edges, minutes at the very edges', () => {
    expect(show(planSegments(at('2026-01-03T22:15:30Z'), at('2026-01-06T01:30:00Z')))).toEqual([
      'minute 01-03T22:15 → 01-03T23:00',
      'hour 01-03T23:00 → 01-04T00:00',
      'day 01-04T00:00 → 01-06T00:00',
      'hour 01-06T00:00 → 01-06T01:00',
      'minute 01-06T01:00 → 01-06T01:30',
    ]);
  });

  it('open ends', () => {
    expect(show(planSegments(at('2026-01-03T22:00:00Z'), null))).toEqual(['hour 01-03T22:00 → 01-04T00:00', 'day 01-04T00:00 → ∞']);
    expect(show(planSegments(null, at('2026-01-03T00:02:10Z')))).toEqual(['day -∞ → 01-03T00:00', 'minute 01-03T00:00 → 01-03T00:03']);
  });

  it('within a day or an hour', () => {
    expect(show(planSegments(at('2026-01-03T10:20:00Z'), at('2026-01-03T13:00:00Z')))).toEqual([
      'minute 01-03T10:20 → 01-03T11:00',
      'hour 01-03T11:00 → 01-03T13:00',
    ]);
    expect(show(planSegments(at('2026-01-03T10:20:00Z'), at('2026-01-03T10:40:00Z')))).toEqual(['minute 01-03T10:20 → 01-03T10:40']);
    expect(planSegments(at('2026-01-03T10:20:00Z'), at('2026-01-03T10:20:00Z'))).toEqual([]);
  });

  it('covers every minute of the range exactly once', () => {
    const from = at('2026-01-01T07:13:00Z');
    for (const minutes of [1, 59, 61, 1439, 1441, 4000]) {
      const to = from + minutes * 60_000;
      const covered = planSegments(from, to).reduce((total, s) => total + (s.to! - s.from!) / 60_000, 0);
      expect(covered).toBe(minutes);
    }
  });
});
