import { describe, expect, it } from 'vitest';
import { AggregateRowSet, type AggregateRow } from './aggregate-rows.js';
import { DeltaBuffer, KEYS_PER_TEST, MINUTE_MS } from './metric-deltas.js';
import { MetricsRecorder } from './metrics-recorder.js';

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function rowsOf(buffers: DeltaBuffer[]): AggregateRow[] {
  const set = new AggregateRowSet();
  for (const buffer of buffers) set.addBuffer(buffer);
  return set.list();
}

function find(rows: AggregateRow[], match: Partial<AggregateRow>): AggregateRow | undefined {
  return rows.find((row) => Object.entries(match).every(([key, value]) => row[key as keyof AggregateRow] === value));
}

describe('MetricsRecorder', () => {
  it('accumulates requests, errors, latency moments and custom values per test and variant', () => {
    const recorder = new MetricsRecorder(1000, T0);
    recorder.recordRequest(T1, 'a', { latencyMs: 100 });
    recorder.recordRequest(T1, 'a', { latencyMs: 300, error: true });
    recorder.recordRequest(T1, 'a', { error: true });
    recorder.recordRequest(T1, 'b', {});
    recorder.recordMetric(T1, 'b', 'accuracy', 0.5);
    recorder.recordMetric(T1, 'b', 'custom:accuracy', 1);
    recorder.seal(T0 + 1000);
    const rows = rowsOf(recorder.takeSealed());

    expect(find(rows, { grain: 'minute', variant: 'a', metric: 'requests' })).toMatchObject({ count: 3, errors: 2, bucketStart: T0 });
    expect(find(rows, { grain: 'minute', variant: 'a', metric: 'latency_ms' })).toMatchObject({ count: 2, sum: 400, sumSquares: 100_000, min: 100, max: 300 });
    expect(find(rows, { grain: 'minute', variant: 'b', metric: 'requests' })).toMatchObject({ count: 1, errors: 0 });
    expect(find(rows, { grain: 'minute', variant: 'b', metric: 'latency_ms' })).toBeUndefined();
    expect(find(rows, { grain: 'minute', variant: 'b', metric: 'custom:accuracy' })).toMatchObject({ count: 2, sum: 1.5, sumSquares: 1.25, min: 0.5, max: 1 });
  });

  it('writes every delta at minute, hour and day grain', () => {
    const recorder = new MetricsRecorder(1000, T0 + 61 * MINUTE_MS);
    recorder.recordRequest(T1, 'a', { latencyMs: 5 });
    recorder.seal();
    const rows = rowsOf(recorder.takeSealed()).filter((row) => row.metric === 'requests');
    expect(rows.map((row) => [row.grain, new Date(row.bucketStart).toISOString()])).toEqual([
      ['day', '2026-01-05T00:00:00.000Z'],
      ['hour', '2026-01-05T10:00:00.000Z'],
      ['minute', '2026-01-05T10:01:00.000Z'],
    ]);
  });

  it('seals per minute and merges buffers sealed for the same minute', () => {
    const recorder = new MetricsRecorder(1000, T0);
    recorder.recordRequest(T1, 'a', { latencyMs: 1 });
    recorder.seal(T0 + 10_000); // a flush tick within the minute
    recorder.recordRequest(T1, 'a', { latencyMs: 2 });
    recorder.recordRequest(T2, 'b', { latencyMs: 3 });
    recorder.seal(T0 + MINUTE_MS); // the minute boundary
    recorder.recordRequest(T1, 'a', { latencyMs: 4 });
    recorder.seal(T0 + MINUTE_MS + 10_000);

    const buffers = recorder.takeSealed();
    expect(buffers.map((b) => b.bucketStart)).toEqual([T0, T0 + MINUTE_MS]);
    expect(buffers[0]!.tests.get(T1)!.a.requests).toBe(2);
    expect(buffers[0]!.tests.get(T1)!.a.latency.sketch.count).toBe(2);
    expect(buffers[0]!.keys).toBe(2 * KEYS_PER_TEST);
    expect(recorder.hasSealed).toBe(false);
    expect(recorder.keys).toBe(0);
  });

  it('merging buffers adds every accumulator (requests, errors, moments, extremes, sketch, custom)', () => {
    const one = new DeltaBuffer(T0);
    const two = new DeltaBuffer(T0);
    const r1 = new MetricsRecorder(1000, T0);
    const r2 = new MetricsRecorder(1000, T0);
    r1.recordRequest(T1, 'a', { latencyMs: 10, error: true });
    r1.recordMetric(T1, 'a', 'ctr', 1);
    r2.recordRequest(T1, 'a', { latencyMs: 30 });
    r2.recordMetric(T1, 'a', 'ctr', 0);
    r2.recordMetric(T1, 'a', 'dwell', 7);
    r1.seal(T0);
    r2.seal(T0);
    one.merge(r1.takeSealed()[0]!);
    expect(two.merge(r2.takeSealed()[0]!)).toBe(KEYS_PER_TEST + 2);
    expect(one.merge(two)).toBe(1); // dwell is new to `one`

    const a = one.tests.get(T1)!.a;
    expect([a.requests, a.errors]).toEqual([2, 1]);
    expect([a.latency.count, a.latency.sum, a.latency.sumSquares, a.latency.min, a.latency.max]).toEqual([2, 40, 1000, 10, 30]);
    expect(a.latency.sketch.count).toBe(2);
    expect(a.custom!.get('custom:ctr')).toMatchObject({ count: 2, sum: 1, min: 0, max: 1 });
    expect(a.custom!.get('custom:dwell')).toMatchObject({ count: 1, sum: 7 });
  });

  it('drops invalid input without throwing, counting each reason', () => {
    const recorder = new MetricsRecorder(1000, T0);
    const loose = recorder as unknown as { recordRequest: (...args: unknown[]) => void; recordMetric: (...args: unknown[]) => void };
    expect(() => {
      loose.recordRequest('not-a-uuid', 'a', {});
      loose.recordRequest(T1, 'c', {});
      loose.recordRequest(T1, 'a', { latencyMs: -1 });
      loose.recordRequest(T1, 'a', { latencyMs: NaN });
      loose.recordRequest(T1, 'a', { latencyMs: Infinity });
      loose.recordRequest(T1, 'a', { latencyMs: '5' });
      loose.recordRequest(T1, 'a', undefined);
      loose.recordRequest(T1, 'a', null);
      loose.recordMetric(T1, 'a', 'Bad Name', 1);
      loose.recordMetric(T1, 'a', 42, 1);
      loose.recordMetric(T1, 'a', 'ok', NaN);
      loose.recordMetric(T1, 'a', 'ok', '3');
      loose.recordMetric(T1, 'x', 'ok', 3);
    }).not.toThrow();
    expect(recorder.takeDrops()).toEqual({ testId: 1, variant: 2, latency: 4, metricName: 2, value: 2, shedRequests: 0, shedValues: 0 });
    expect(recorder.takeDrops().latency).toBe(0);
    recorder.seal(T0);
    const rows = rowsOf(recorder.takeSealed());
    // The requests with a bad latency still count as requests, without a latency.
    expect(find(rows, { grain: 'minute', variant: 'a', metric: 'requests' })!.count).toBe(6);
    expect(find(rows, { grain: 'minute', variant: 'a', metric: 'latency_ms' })).toBeUndefined();
  });

  it('sheds new keys beyond the bound and counts what it shed', () => {
    const recorder = new MetricsRecorder(KEYS_PER_TEST + 1, T0);
    recorder.recordRequest(T1, 'a', {});
    recorder.recordMetric(T1, 'a', 'one', 1);
    recorder.recordMetric(T1, 'a', 'two', 1); // a 6th key
    recorder.recordRequest(T2, 'a', {}); // 4 more keys
    recorder.recordMetric(T2, 'b', 'one', 1);
    recorder.recordRequest(T1, 'b', { latencyMs: 1 }); // existing keys keep counting
    expect(recorder.keys).toBe(KEYS_PER_TEST + 1);
    expect(recorder.takeDrops()).toMatchObject({ shedRequests: 1, shedValues: 2 });

    // Keys held elsewhere (a flush awaiting retry) count too; sealing keeps the sealed keys.
    recorder.seal(T0 + 1);
    recorder.reserveKeys(1);
    expect(recorder.keys).toBe(KEYS_PER_TEST + 2);
    recorder.takeSealed();
    expect(recorder.keys).toBe(1);
  });

  it('one row per stored key even when callers spell a test id in both cases', () => {
    const recorder = new MetricsRecorder(1000, T0);
    const upper = T1.toUpperCase();
    recorder.recordRequest(T1, 'a', {});
    recorder.recordRequest(upper, 'a', { error: true });
    recorder.seal(T0);
    const rows = rowsOf(recorder.takeSealed()).filter((row) => row.grain === 'minute' && row.metric === 'requests');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ testId: T1, count: 2, errors: 1 });
  });
});
