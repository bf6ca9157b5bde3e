import { describe, expect, it } from 'vitest';
import { DomainError } from '../../common/errors/domain-error.js';
import { FakeTransactions } from '../../database/transactions.js';
import { FakeAggregateStore } from './fake-aggregate.store.js';
import { aggregateEvents, MetricsIngestionService } from './metrics-ingestion.service.js';
import { parseMetricBatch, type MetricEvent } from './metric-events.js';

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

describe('MetricsIngestionService', () => {
  const setUp = () => {
    const store = new FakeAggregateStore();
    const transactions = new FakeTransactions();
    return { store, transactions, ingestion: new MetricsIngestionService(transactions, store) };
  };
  const batch = (...events: MetricEvent[]) => parseMetricBatch({ events });
  const requestsOf = (store: FakeAggregateStore) =>
    store
      .stored(TEST)
      .filter((row) => row.grain === 'day' && row.metric === 'requests')
      .reduce((sum, row) => sum + row.count, 0);

  it('stores a parsed batch and counts what it held', async () => {
    const { store, ingestion } = setUp();
    const heard: string[][] = [];
    store.onWritten((testIds) => heard.push(testIds));
    const result = await ingestion.ingest(TEST, batch({ variant: 'a', latency_ms: 5 }, { variant: 'b', error: true }, { variant: 'b', metric: 'accuracy', value: 1 }));
    expect(result).toEqual({ accepted: 3, requests: 2, custom: 1, comparisons: 0 });
    expect(requestsOf(store)).toBe(2);
    expect(heard).toEqual([[TEST]]);
  });

  it('refuses a test id that is not a UUID as AB_TEST_NOT_FOUND, without a transaction', async () => {
    const { transactions, ingestion } = setUp();
    await expect(ingestion.ingest('nope', batch({ variant: 'a', error: true }))).rejects.toMatchObject({ code: 'AB_TEST_NOT_FOUND' });
    expect(transactions.opened).toBe(0);
  });

  it('runs the guard with the transaction before writing; a DomainError refuses the batch and stores nothing', async () => {
    const { store, transactions, ingestion } = setUp();
    const refusal = new DomainError('AB_TEST_NOT_RECORDING', 'draft');
    const seen: unknown[] = [];
    await expect(
      ingestion.ingest(TEST, batch({ variant: 'a', error: true }), (tx) => {
        seen.push(tx);
        return Promise.reject(refusal);
      }),
    ).rejects.toBe(refusal);
    expect(seen).toHaveLength(1);
    expect(transactions.opened).toBe(1);
    expect(store.stored(TEST)).toEqual([]);
  });

  it('retries a batch whose transaction hit a serialization failure or deadlock, at most three times', async () => {
    const { store, transactions, ingestion } = setUp();
    store.failNextUpsert = Object.assign(new Error('could not serialize access'), { code: '40001' });
    await ingestion.ingest(TEST, batch({ variant: 'a', error: true }));
    expect(transactions.opened).toBe(2);
    expect(requestsOf(store)).toBe(1);

    let attempts = 0;
    const deadlocked = setUp();
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    await expect(
      deadlocked.ingestion.ingest(TEST, batch({ variant: 'a', error: true }), () => {
        attempts++;
        return Promise.reject(deadlock);
      }),
    ).rejects.toBe(deadlock);
    expect(attempts).toBe(3);
  });

  it('answers AB_TEST_NOT_FOUND when the test row is gone (a foreign-key violation)', async () => {
    const { store, ingestion } = setUp();
    store.failNextUpsert = Object.assign(new Error('violates foreign key constraint'), { code: '23503' });
    await expect(ingestion.ingest(TEST, batch({ variant: 'a', error: true }))).rejects.toMatchObject({ code: 'AB_TEST_NOT_FOUND', details: { test_id: TEST } });
  });
});
