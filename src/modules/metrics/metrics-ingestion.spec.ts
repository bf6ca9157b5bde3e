import { describe, expect, it } from 'vitest';
import { aggregateEvents } from './metrics-ingestion.service.js';
import type { MetricEvent } from './metric-events.js';

const TEST = '11111111-1111-4111-8111-111111111111';
const NOW = Date.UTC(2026, 0, 5, 12, 30, 45);

describe('aggregateEvents', () => {
  it('groups a batch by variant, metric and minute (timestamps default to now)', () => {
    const events: MetricEvent[] = [
      { variant: 'a', latency_ms: 100 },
      { variant: 'a', latency_ms: 200, error: true },
      { variant: 'a', error: true },
      { variant: 'b', latency_ms: 50, timestamp: '2026-01-05T11:59:59Z' },
      { variant: 'b', metric: 'accuracy', value: 0.75 },
      { variant: 'b', metric: 'accuracy', value: 0.25, user_id: 'u' },
    ];
    const { rows, requests, custom } = aggregateEvents(TEST, events, NOW);
    expect([requests, custom]).toEqual([4, 2]);
    const minute = rows.list().filter((row) => row.grain === 'minute');
    const summary = minute.map((r) => [r.variant, r.metric, new Date(r.bucketStart).toISOString().slice(11, 16), r.count, r.errors, r.sum]).sort();
    expect(summary).toEqual([
      ['a', 'latency_ms', '12:30', 2, 0, 300],
      ['a', 'requests', '12:30', 3, 2, 0],
      ['b', 'custom:accuracy', '12:30', 2, 0, 1],
      ['b', 'latency_ms', '11:59', 1, 0, 50],
      ['b', 'requests', '11:59', 1, 0, 0],
    ]);
    // The hour rollup of b's requests holds the 11:59 request only; the day holds all of them.
    const rollups = rows.list().filter((row) => row.grain !== 'minute' && row.metric === 'requests');
    expect(rollups.map((r) => [r.grain, r.variant, new Date(r.bucketStart).toISOString().slice(11, 16), r.count]).sort()).toEqual([
      ['day', 'a', '00:00', 3],
      ['day', 'b', '00:00', 1],
      ['hour', 'a', '12:00', 3],
      ['hour', 'b', '11:00', 1],
    ]);
  });
});
