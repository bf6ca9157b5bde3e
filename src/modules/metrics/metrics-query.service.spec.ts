import { describe, expect, it } from 'vitest';
import type { Tx } from '../../database/transactions.js';
import { FakeAggregateStore } from './fake-aggregate.store.js';
import { aggregateEvents } from './metrics-ingestion.service.js';
import { MetricsQueryService } from './metrics-query.service.js';
import type { MetricEvent } from './metric-events.js';

const TEST = '11111111-1111-4111-8111-111111111111';
const HOUR = 3_600_000;
/** Three days ago, 22:58 UTC: the events below span minutes, hours and days. */
const BASE = Math.floor((Date.UTC(2026, 0, 8) - 3 * 24 * HOUR) / (24 * HOUR)) * 24 * HOUR + 22 * HOUR + 58 * 60_000;
const NOW = new Date(Date.UTC(2026, 0, 8, 12));
const at = (minutes: number) => new Date(BASE + minutes * 60_000).toISOString();

async function storeWith(events: MetricEvent[]): Promise<FakeAggregateStore> {
  const store = new FakeAggregateStore();
  await store.upsert({} as Tx, aggregateEvents(TEST, events, NOW.getTime()).rows.list());
  return store;
}

const EVENTS: MetricEvent[] = [
  { variant: 'a', latency_ms: 100, timestamp: at(0) },
  { variant: 'a', latency_ms: 200, timestamp: at(1) },
  { variant: 'a', latency_ms: 300, error: true, timestamp: at(3) },
  { variant: 'a', error: false, timestamp: at(24 * 60 + 5) },
  { variant: 'b', latency_ms: 50, error: true, timestamp: at(0) },
  { variant: 'b', metric: 'accuracy', value: 1, timestamp: at(1) },
  { variant: 'b', metric: 'accuracy', value: 0.5, timestamp: at(61) },
];

describe('MetricsQueryService (on the in-memory store)', () => {
  it('sums every grain into one snapshot per variant, with quantiles from the merged sketches', async () => {
    const query = new MetricsQueryService(await storeWith(EVENTS));
    const { a, b } = await query.snapshot(TEST);
    expect([a.requests, a.errors, a.latency.n, a.latency.sum]).toEqual([4, 1, 3, 600]);
    expect(a.latency.p50).toBeCloseTo(200, -1);
    expect([b.requests, b.errors]).toEqual([1, 1]);
    expect(b.custom.accuracy).toEqual({ n: 2, sum: 1.5, sumSquares: 1.25 });
  });

  it('reads a range from the grains that cover it, the same totals as the events in it', async () => {
    const query = new MetricsQueryService(await storeWith(EVENTS));
    const { a } = await query.snapshot(TEST, { from: new Date(BASE + 60_000), to: new Date(BASE + 4 * 60_000) });
    expect([a.requests, a.latency.sum]).toEqual([2, 500]);
  });

  it('summarizes for GET /ab-tests/{id} and pads a variant without data', async () => {
    const query = new MetricsQueryService(await storeWith(EVENTS.filter((e) => e.variant === 'a')));
    const summary = await query.summarize(TEST);
    expect(summary.variant_a).toMatchObject({ requests: 4, errors: 1, error_rate: 0.25, avg_latency: 200 });
    expect(summary.variant_b).toEqual({ requests: 0, errors: 0, error_rate: 0, avg_latency: null, p50_latency: null, p95_latency: null, p99_latency: null, custom: {} });
  });

  it('lists cumulative looks at each completed day', async () => {
    const query = new MetricsQueryService(await storeWith(EVENTS));
    const looks = await query.looks(TEST, 'day', NOW);
    expect(looks.map((look) => look.a.requests)).toEqual([3, 4]);
  });

  it('charts one metric per bucket and refuses ranges it cannot serve', async () => {
    const query = new MetricsQueryService(await storeWith(EVENTS));
    const series = await query.timeseries(TEST, 'error_rate', 'hour', { from: new Date(BASE - HOUR), to: new Date(BASE + 2 * HOUR) }, NOW);
    // 22:58 and 22:59 fall in one hour, 23:01 (the error) in the next.
    expect(series.series.a.map((p) => [p.count, p.value])).toEqual([
      [2, 0],
      [1, 1],
    ]);
    await expect(query.timeseries(TEST, 'requests', 'minute', { from: new Date(BASE), to: new Date(BASE) }, NOW)).rejects.toMatchObject({ code: 'INVALID_TIME_RANGE' });
    await expect(query.timeseries(TEST, 'Accuracy' as 'requests', 'hour', {}, NOW)).rejects.toMatchObject({ code: 'UNKNOWN_METRIC' });
  });

  it('reads within a transaction when asked to (within), on the pool otherwise', async () => {
    const store = await storeWith(EVENTS);
    const query = new MetricsQueryService(store);
    const tx = {} as Tx;
    await query.within(tx).snapshot(TEST);
    expect(store.lastReadTx).toBe(tx);
    await query.snapshot(TEST);
    expect(store.lastReadTx).toBeUndefined();
  });

  it('a test id that is not a UUID has no data (no read)', async () => {
    const store = await storeWith(EVENTS);
    store.lastReadTx = {} as Tx;
    const snapshot = await new MetricsQueryService(store).snapshot('nope');
    expect(snapshot.a.requests).toBe(0);
    expect(store.lastReadTx).toEqual({});
  });
});
