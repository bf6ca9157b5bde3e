import { describe, expect, it } from 'vitest';
import { AggregateRowSet, testIdsOf, toUpsertParams, truncate } from './aggregate-rows.js';
import { DeltaBuffer, TestDeltas } from './metric-deltas.js';

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const AT = Date.UTC(2026, 0, 5, 9, 30);

function buffer(testId: string, latencies: number[], errors = 0): DeltaBuffer {
  const b = new DeltaBuffer(AT);
  const test = new TestDeltas();
  for (const ms of latencies) {
    test.a.requests++;
    test.a.latency.add(ms);
  }
  test.a.errors = errors;
  b.tests.set(testId, test);
  return b;
}

describe('AggregateRowSet', () => {
  it('truncates to UTC minute, hour and day', () => {
    const t = Date.UTC(2026, 0, 5, 9, 30, 45, 123);
    expect(new Date(truncate(t, 'minute')).toISOString()).toBe('2026-01-05T09:30:00.000Z');
    expect(new Date(truncate(t, 'hour')).toISOString()).toBe('2026-01-05T09:00:00.000Z');
    expect(new Date(truncate(t, 'day')).toISOString()).toBe('2026-01-05T00:00:00.000Z');
  });

  it('merging row sets adds counts, moments, extremes and sketches key by key', () => {
    const one = new AggregateRowSet();
    one.addBuffer(buffer(T1, [10, 20], 1));
    const two = new AggregateRowSet();
    two.addBuffer(buffer(T1, [5, 40]));
    two.addBuffer(buffer(T2, [7]));
    const merged = new AggregateRowSet();
    merged.addRows(one.list());
    merged.addRows(two.list());
    const latency = merged.list().find((r) => r.testId === T1 && r.metric === 'latency_ms' && r.grain === 'day')!;
    expect(latency).toMatchObject({ count: 4, sum: 75, sumSquares: 100 + 400 + 25 + 1600, min: 5, max: 40 });
    expect(latency.sketch!.count).toBe(4);
    const requests = merged.list().find((r) => r.testId === T1 && r.metric === 'requests' && r.grain === 'minute')!;
    expect(requests).toMatchObject({ count: 4, errors: 1, sketch: null });
    expect(merged.size).toBe(2 * 2 * 3); // two tests × (requests, latency) × three grains
    expect(testIdsOf(merged.list())).toEqual([T1, T2]);
  });

  it('lists rows in one fixed order and as unnest column arrays', () => {
    const set = new AggregateRowSet();
    set.addBuffer(buffer(T2, [1]));
    set.addBuffer(buffer(T1, [1]));
    const rows = set.list();
    expect(rows.map((r) => `${r.testId.slice(0, 1)} ${r.metric} ${r.grain}`)).toEqual([
      '1 latency_ms day',
      '1 latency_ms hour',
      '1 latency_ms minute',
      '1 requests day',
      '1 requests hour',
      '1 requests minute',
      '2 latency_ms day',
      '2 latency_ms hour',
      '2 latency_ms minute',
      '2 requests day',
      '2 requests hour',
      '2 requests minute',
    ]);
    const params = toUpsertParams(rows);
    expect(params).toHaveLength(12);
    expect(params[0]).toEqual(rows.map((r) => r.grain));
    expect((params[4] as string[])[2]).toBe('2026-01-05T09:30:00.000Z');
    expect(JSON.parse((params[11] as string[])[0]!)).toEqual(rows[0]!.sketch!.toCounts());
    expect((params[11] as Array<string | null>)[3]).toBeNull();
  });
});
