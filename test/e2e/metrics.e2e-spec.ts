import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { managerOf, type Tx } from '../../src/database/transactions.js';
import { AggregateStore } from '../../src/modules/metrics/aggregate.store.js';
import { FlushWriter } from '../../src/modules/metrics/flush-writer.js';
import { MetricsIngestionService, type IngestGuard } from '../../src/modules/metrics/metrics-ingestion.service.js';
import { MetricsQueryService } from '../../src/modules/metrics/metrics-query.service.js';
import { MetricsService } from '../../src/modules/metrics/metrics.service.js';
import { parseMetricBatch, type MetricEvent } from '../../src/modules/metrics/metric-events.js';
import { MetricsError } from '../../src/modules/metrics/metrics.errors.js';
import { createTestDatabase } from '../support/database.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

type Status = 'draft' | 'active' | 'paused' | 'completed';

/** An ab_tests row (and its model type) written directly: these tests are about metrics, not the lifecycle. */
async function insertAbTestRow(db: DataSource | EntityManager | pg.Client, status: Status = 'active'): Promise<string> {
  const id = randomUUID();
  const modelType = `metrics_${id.slice(0, 8)}`;
  const query = (sql: string, params: unknown[]) => (db instanceof pg.Client ? db.query(sql, params) : db.query(sql, params));
  await query(`INSERT INTO models (name, task) VALUES ($1, 'text-classification')`, [modelType]);
  await query(
    `INSERT INTO ab_tests (id, name, model_type, variant_a, variant_b, traffic_split, status, hash_seed, created_by, start_date)
     VALUES ($1, 'metrics test', $2, 'v1.0.0', 'v2.0.0', '{"a": 0.5, "b": 0.5}', $3, $4, 'test', now())`,
    [id, modelType, status, `seed-${id}`],
  );
  return id;
}

interface StoredRow {
  variant: string;
  metric: string;
  bucket_start: Date;
  count: number;
  errors: number;
  sum: number;
  sum_squares: number;
  min: number | null;
  max: number | null;
  sketch: Record<string, number> | null;
}

async function storedRows(db: DataSource | pg.Client, testId: string, table = 'metric_aggregates', grain?: string): Promise<StoredRow[]> {
  const sql = `SELECT variant, metric, bucket_start, count::float8 AS count, errors::float8 AS errors, sum, sum_squares, min, max, sketch
                 FROM ${table} WHERE ab_test_id = $1 ${grain ? `AND grain = '${grain}'` : ''} ORDER BY metric, variant, bucket_start`;
  const result = db instanceof pg.Client ? (await db.query(sql, [testId])).rows : await db.query(sql, [testId]);
  return result as StoredRow[];
}

async function totalRequests(db: DataSource, testId: string, table = 'metric_aggregates', grain?: string): Promise<{ requests: number; errors: number }> {
  const [row] = (await db.query(
    `SELECT coalesce(sum(count), 0)::float8 AS requests, coalesce(sum(errors), 0)::float8 AS errors
       FROM ${table} WHERE ab_test_id = $1 AND metric = 'requests' ${grain ? `AND grain = '${grain}'` : ''}`,
    [testId],
  )) as Array<{ requests: number; errors: number }>;
  return row!;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('metrics', () => {
  let t: TestApp;
  let metrics: MetricsService;
  let ingestion: MetricsIngestionService;
  /** What the route does: parse the body once, then ingest. */
  const ingest = async (testId: string, events: MetricEvent[], guard?: IngestGuard) => ingestion.ingest(testId, parseMetricBatch({ events }), guard);
  let query: MetricsQueryService;

  beforeAll(async () => {
    t = await createTestApp({ METRICS_FLUSH_MS: '100' });
    metrics = t.app.get(MetricsService);
    ingestion = t.app.get(MetricsIngestionService);
    query = t.app.get(MetricsQueryService);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('in-process recording', () => {
    it('appears in PostgreSQL after flushNow, with exact sums at every grain', async () => {
      const testId = await insertAbTestRow(t.dataSource);
      metrics.recordRequest(testId, 'a', { latencyMs: 100 });
      metrics.recordRequest(testId, 'a', { latencyMs: 300, error: true });
      metrics.recordRequest(testId, 'b', { latencyMs: 0 });
      metrics.recordRequest(testId, 'b', { error: true });
      metrics.recordMetric(testId, 'b', 'accuracy', 0.75);
      metrics.recordMetric(testId, 'b', 'accuracy', 0.25);
      await metrics.flushNow();

      const minutes = await storedRows(t.dataSource, testId);
      const pick = (variant: string, metric: string) => minutes.filter((r) => r.variant === variant && r.metric === metric);
      const sumOf = (rows: StoredRow[], key: 'count' | 'errors' | 'sum' | 'sum_squares') => rows.reduce((total, r) => total + r[key], 0);
      // A flush at a minute boundary may split the deltas over two minutes: compare sums.
      expect([sumOf(pick('a', 'requests'), 'count'), sumOf(pick('a', 'requests'), 'errors')]).toEqual([2, 1]);
      expect([sumOf(pick('b', 'requests'), 'count'), sumOf(pick('b', 'requests'), 'errors')]).toEqual([2, 1]);
      expect([sumOf(pick('a', 'latency_ms'), 'count'), sumOf(pick('a', 'latency_ms'), 'sum'), sumOf(pick('a', 'latency_ms'), 'sum_squares')]).toEqual([
        2, 400, 100_000,
      ]);
      expect(pick('b', 'latency_ms')[0]).toMatchObject({ count: 1, sum: 0, min: 0, max: 0, sketch: { z: 1 } });
      expect([sumOf(pick('b', 'custom:accuracy'), 'count'), sumOf(pick('b', 'custom:accuracy'), 'sum')]).toEqual([2, 1]);
      for (const row of minutes) expect(row.bucket_start.getTime() % 60_000).toBe(0);

      expect(await totalRequests(t.dataSource, testId, 'metric_rollups', 'hour')).toEqual({ requests: 4, errors: 2 });
      expect(await totalRequests(t.dataSource, testId, 'metric_rollups', 'day')).toEqual({ requests: 4, errors: 2 });
    });

    it('appears after the periodic flush (METRICS_FLUSH_MS=100) without flushNow', async () => {
      const testId = await insertAbTestRow(t.dataSource);
      for (let i = 0; i < 1000; i++) metrics.recordRequest(testId, i % 2 === 0 ? 'a' : 'b', { latencyMs: i, error: i % 10 === 0 });
      await waitFor(async () => (await totalRequests(t.dataSource, testId)).requests === 1000);
      expect(await totalRequests(t.dataSource, testId)).toEqual({ requests: 1000, errors: 100 });
    });

    it('drops recordings for tests that are not active or paused, and for unknown tests', async () => {
      const draft = await insertAbTestRow(t.dataSource, 'draft');
      const completed = await insertAbTestRow(t.dataSource, 'completed');
      const paused = await insertAbTestRow(t.dataSource, 'paused');
      const unknown = randomUUID();
      for (const id of [draft, completed, paused, unknown]) metrics.recordRequest(id, 'a', { latencyMs: 5 });
      await metrics.flushNow();
      expect((await totalRequests(t.dataSource, draft)).requests).toBe(0);
      expect((await totalRequests(t.dataSource, completed)).requests).toBe(0);
      expect((await totalRequests(t.dataSource, unknown)).requests).toBe(0);
      expect((await totalRequests(t.dataSource, paused)).requests).toBe(1);
    });

    it('tells onFlushed listeners which tests were written', async () => {
      const testId = await insertAbTestRow(t.dataSource);
      const seen: string[][] = [];
      const unsubscribe = metrics.onFlushed((ids) => seen.push(ids));
      metrics.recordRequest(testId, 'b', { error: true });
      await metrics.flushNow();
      unsubscribe();
      expect(seen.some((ids) => ids.includes(testId))).toBe(true);
    });

    it('a flush whose COMMIT acknowledgement was lost is not applied twice when retried', async () => {
      const testId = await insertAbTestRow(t.dataSource);
      const writer = t.app.get(FlushWriter);
      const original = writer.apply.bind(writer);
      const ids: string[] = [];
      const spy = vi.spyOn(writer, 'apply').mockImplementation(async (flushId, rows) => {
        ids.push(flushId);
        const outcome = await original(flushId, rows);
        if (ids.length === 1) throw new Error('Connection terminated unexpectedly'); // committed, but we never heard
        return outcome;
      });
      try {
        metrics.recordRequest(testId, 'a', { latencyMs: 10, error: true });
        metrics.recordRequest(testId, 'b', { latencyMs: 20 });
        await expect(metrics.flushNow()).rejects.toThrow('Connection terminated');
        metrics.recordRequest(testId, 'a', { latencyMs: 30 });
        await metrics.flushNow();
      } finally {
        spy.mockRestore();
      }
      // The retry reused the first id (and was recognised), then the newer deltas got their own.
      expect(ids[1]).toBe(ids[0]);
      expect(ids).toHaveLength(3);
      expect(await totalRequests(t.dataSource, testId)).toEqual({ requests: 3, errors: 1 });
      expect(await totalRequests(t.dataSource, testId, 'metric_rollups', 'day')).toEqual({ requests: 3, errors: 1 });
      const [flushes] = (await t.dataSource.query(`SELECT count(*)::int AS n FROM metric_flushes WHERE id = ANY($1::uuid[])`, [ids])) as Array<{ n: number }>;
      expect(flushes!.n).toBe(2);
    });

    it('concurrent writers add up (atomic additive upserts)', async () => {
      const testId = await insertAbTestRow(t.dataSource);
      const batch: MetricEvent[] = Array.from({ length: 100 }, (_, i) => ({ variant: i % 2 === 0 ? 'a' : 'b', latency_ms: i, error: i % 4 === 0 }));
      for (let i = 0; i < 500; i++) metrics.recordRequest(testId, 'a', { latencyMs: 1 });
      await Promise.all([...Array.from({ length: 20 }, () => ingest(testId, batch)), metrics.flushNow()]);
      expect(await totalRequests(t.dataSource, testId)).toEqual({ requests: 2500, errors: 500 });
      expect(await totalRequests(t.dataSource, testId, 'metric_rollups', 'hour')).toEqual({ requests: 2500, errors: 500 });
    });

    it('deleting a test deletes its aggregates (ON DELETE CASCADE)', async () => {
      const testId = await insertAbTestRow(t.dataSource);
      await ingest(testId, [{ variant: 'a', latency_ms: 1 }]);
      await t.dataSource.query('DELETE FROM ab_tests WHERE id = $1', [testId]);
      expect(await storedRows(t.dataSource, testId)).toEqual([]);
      expect(await storedRows(t.dataSource, testId, 'metric_rollups')).toEqual([]);
    });
  });

  describe('ingestion', () => {
    it('stores a valid batch and counts requests and custom values', async () => {
      const testId = await insertAbTestRow(t.dataSource);
      const result = await ingest(testId, [
        { variant: 'a', latency_ms: 120, user_id: 'u1' },
        { variant: 'a', error: true },
        { variant: 'b', metric: 'accuracy', value: 1 },
      ]);
      expect(result).toEqual({ accepted: 3, requests: 2, custom: 1, comparisons: 0 });
      expect(await totalRequests(t.dataSource, testId)).toEqual({ requests: 2, errors: 1 });
    });

    it('one bad event rejects the whole batch, naming its index; nothing is stored', async () => {
      const testId = await insertAbTestRow(t.dataSource);
      const events: MetricEvent[] = Array.from({ length: 50 }, () => ({ variant: 'a', latency_ms: 10 }));
      events[17] = { variant: 'a', latency_ms: -5 };
      await expect(ingest(testId, events)).rejects.toMatchObject({ code: 'METRIC_EVENT_INVALID', message: expect.stringMatching(/^events\[17\]: latency_ms/) });
      expect(await storedRows(t.dataSource, testId)).toEqual([]);
    });

    it('runs the guard in the transaction first; a refusal stores nothing', async () => {
      const testId = await insertAbTestRow(t.dataSource, 'draft');
      const refusal = new MetricsError('AB_TEST_NOT_RECORDING', 'draft');
      const guard = async (tx: Tx) => {
        const [row] = (await managerOf(tx).query('SELECT status FROM ab_tests WHERE id = $1 FOR SHARE', [testId])) as Array<{ status: string }>;
        if (row!.status === 'draft') throw refusal;
      };
      await expect(ingest(testId, [{ variant: 'a', error: true }], guard)).rejects.toBe(refusal);
      expect(await storedRows(t.dataSource, testId)).toEqual([]);
      await t.dataSource.query(`UPDATE ab_tests SET status = 'active' WHERE id = $1`, [testId]);
      await ingest(testId, [{ variant: 'a', error: true }], guard);
      expect(await totalRequests(t.dataSource, testId)).toEqual({ requests: 1, errors: 1 });
    });

    it('a failure inside the transaction rolls the whole batch back', async () => {
      const testId = await insertAbTestRow(t.dataSource);
      const failing = async (tx: Tx) => {
        await managerOf(tx).query('SELECT 1');
      };
      const store = t.app.get(AggregateStore);
      const realUpsert = store.upsert.bind(store);
      // Some rows written, then the statement after them fails.
      const spy = vi.spyOn(store, 'upsert').mockImplementationOnce(async (tx, rows) => {
        await realUpsert(tx, rows.slice(0, 3));
        throw new Error('disk full');
      });
      try {
        await expect(ingest(testId, [{ variant: 'a', latency_ms: 1 }, { variant: 'b', latency_ms: 2 }], failing)).rejects.toThrow('disk full');
      } finally {
        spy.mockRestore();
      }
      expect(await storedRows(t.dataSource, testId)).toEqual([]);
      expect(await storedRows(t.dataSource, testId, 'metric_rollups')).toEqual([]);
    });

    it('batches arriving together share a transaction; one refused or failing batch fails alone', async () => {
      const running = await insertAbTestRow(t.dataSource);
      const draft = await insertAbTestRow(t.dataSource, 'draft');
      const statusGuard = (testId: string) => async (tx: Tx) => {
        const [row] = (await managerOf(tx).query('SELECT status::text AS status FROM ab_tests WHERE id = $1 FOR SHARE', [testId])) as Array<{ status: string }>;
        if (row?.status !== 'active') throw new MetricsError('AB_TEST_NOT_RECORDING', `${testId} is ${row?.status}`);
      };
      const brokenGuard = async (tx: Tx) => {
        await managerOf(tx).query('SELECT * FROM no_such_table'); // aborts a shared transaction
      };
      const event: MetricEvent[] = [{ variant: 'b', latency_ms: 10, error: true }];
      const outcomes = await Promise.allSettled([
        ...Array.from({ length: 10 }, () => ingest(running, event, statusGuard(running))),
        ingest(draft, event, statusGuard(draft)),
        ingest(running, event, brokenGuard),
        ...Array.from({ length: 10 }, () => ingest(running, event, statusGuard(running))),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(20);
      expect(outcomes[10]).toMatchObject({ status: 'rejected', reason: { code: 'AB_TEST_NOT_RECORDING' } });
      expect(outcomes[11]).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('no_such_table') } });
      expect(await totalRequests(t.dataSource, running)).toEqual({ requests: 20, errors: 20 });
      expect(await totalRequests(t.dataSource, running, 'metric_rollups', 'day')).toEqual({ requests: 20, errors: 20 });
      expect(await storedRows(t.dataSource, draft)).toEqual([]);
    });

    it('an unknown test is AB_TEST_NOT_FOUND', async () => {
      await expect(ingest(randomUUID(), [{ variant: 'a', error: true }])).rejects.toMatchObject({ code: 'AB_TEST_NOT_FOUND', status: 404 });
      await expect(ingest('nope', [{ variant: 'a', error: true }])).rejects.toMatchObject({ code: 'AB_TEST_NOT_FOUND' });
    });
  });

  describe('queries', () => {
    let testId: string;
    const day = 86_400_000;
    // Four days ago at 22:58 UTC: the data spans minutes, hours and days.
    const base = Math.floor((Date.now() - 4 * day) / day) * day + 22 * 3_600_000 + 58 * 60_000;
    const iso = (offsetMinutes: number) => new Date(base + offsetMinutes * 60_000).toISOString();

    beforeAll(async () => {
      testId = await insertAbTestRow(t.dataSource);
      const events: MetricEvent[] = [
        // a: 4 requests, 1 error, latencies 100, 200, 300 (one request without latency)
        { variant: 'a', latency_ms: 100, timestamp: iso(0) },
        { variant: 'a', latency_ms: 200, timestamp: iso(1) },
        { variant: 'a', latency_ms: 300, error: true, timestamp: iso(3) },
        { variant: 'a', error: false, timestamp: iso(24 * 60 + 5) },
        // b: 3 requests, 2 errors, latencies 50, 60, 0
        { variant: 'b', latency_ms: 50, error: true, timestamp: iso(0) },
        { variant: 'b', latency_ms: 60, timestamp: iso(2) },
        { variant: 'b', latency_ms: 0, error: true, timestamp: iso(2 * 24 * 60) },
        // custom values: a accuracy 0.5, 1; b accuracy 1, 1, 0.25 and b ctr 3
        { variant: 'a', metric: 'accuracy', value: 0.5, timestamp: iso(0) },
        { variant: 'a', metric: 'accuracy', value: 1, timestamp: iso(90) },
        { variant: 'b', metric: 'accuracy', value: 1, timestamp: iso(1) },
        { variant: 'b', metric: 'accuracy', value: 1, timestamp: iso(61) },
        { variant: 'b', metric: 'accuracy', value: 0.25, timestamp: iso(24 * 60) },
        { variant: 'b', metric: 'ctr', value: 3, timestamp: iso(5) },
      ];
      await ingest(testId, events);
    });

    it('snapshot: exactly the hand-computed totals, in the statistics input shape', async () => {
      const snapshot = await query.snapshot(testId);
      expect(snapshot.a).toMatchObject({ requests: 4, errors: 1, latency: { n: 3, sum: 600, sumSquares: 140_000 } });
      expect(snapshot.b).toMatchObject({ requests: 3, errors: 2, latency: { n: 3, sum: 110, sumSquares: 6100 } });
      expect(snapshot.a.custom).toEqual({ accuracy: { n: 2, sum: 1.5, sumSquares: 1.25 } });
      expect(snapshot.b.custom).toEqual({ accuracy: { n: 3, sum: 2.25, sumSquares: 2.0625 }, ctr: { n: 1, sum: 3, sumSquares: 9 } });
      // Quantiles from the merged sketch: within 1% of the element of rank ⌊q(n−1)⌋.
      expect(snapshot.a.latency.p50! / 200).toBeCloseTo(1, 1);
      expect(Math.abs(snapshot.a.latency.p99! / 200 - 1)).toBeLessThanOrEqual(0.01);
      expect(snapshot.b.latency.p50! / 50).toBeCloseTo(1, 1);
      expect(snapshot.b.latency.p50).not.toBe(0);
      // b's 0 ms request is alone on its day: latency 0 reads back as exactly 0.
      const lastDay = await query.snapshot(testId, { from: new Date(base + 2 * day), to: new Date(base + 2 * day + 60_000) });
      expect(lastDay.b.latency).toEqual({ n: 1, sum: 0, sumSquares: 0, p50: 0, p95: 0, p99: 0 });
    });

    it('snapshot over ranges equals the sum of the minute rows in the range', async () => {
      const ranges: Array<[number, number]> = [
        [0, 2], // minutes only
        [-30, 100], // across an hour boundary
        [0, 24 * 60 + 10], // across a day boundary
        [2, 3 * 24 * 60], // most of it
      ];
      for (const [fromMinute, toMinute] of ranges) {
        const from = new Date(base + fromMinute * 60_000);
        const to = new Date(base + toMinute * 60_000);
        const snapshot = await query.snapshot(testId, { from, to });
        const [expected] = (await t.dataSource.query(
          `SELECT coalesce(sum(count) FILTER (WHERE metric = 'requests' AND variant = 'a'), 0)::float8 AS a_requests,
                  coalesce(sum(errors) FILTER (WHERE metric = 'requests' AND variant = 'b'), 0)::float8 AS b_errors,
                  coalesce(sum(sum) FILTER (WHERE metric = 'latency_ms' AND variant = 'a'), 0) AS a_latency_sum,
                  coalesce(sum(count) FILTER (WHERE metric = 'custom:accuracy' AND variant = 'b'), 0)::float8 AS b_accuracy_n
             FROM metric_aggregates WHERE ab_test_id = $1 AND bucket_start >= $2 AND bucket_start < $3`,
          [testId, from, to],
        )) as Array<Record<string, number>>;
        expect([snapshot.a.requests, snapshot.b.errors, snapshot.a.latency.sum, snapshot.b.custom.accuracy?.n ?? 0]).toEqual([
          expected!.a_requests,
          expected!.b_errors,
          expected!.a_latency_sum,
          expected!.b_accuracy_n,
        ]);
      }
      const inFirstMinutes = await query.snapshot(testId, { from: new Date(base), to: new Date(base + 2 * 60_000) });
      expect(inFirstMinutes.a).toMatchObject({ requests: 2, errors: 0, latency: { n: 2, sum: 300 } });
    });

    it('summary: the seed shape of GET /ab-tests/{id}', async () => {
      const summary = await query.summarize(testId);
      expect(summary.variant_a).toMatchObject({ requests: 4, errors: 1, error_rate: 0.25, avg_latency: 200, custom: { accuracy: { count: 2, mean: 0.75 } } });
      expect(summary.variant_b).toMatchObject({ requests: 3, errors: 2, custom: { accuracy: { count: 3, mean: 0.75 }, ctr: { count: 1, mean: 3 } } });
      expect(summary.variant_b.avg_latency).toBeCloseTo(110 / 3, 12);
      // The sketch reports the element of rank ⌊q·(n − 1)⌋: for 100, 200, 300 that is 200 (±1%).
      expect(Math.abs(summary.variant_a.p95_latency! / 200 - 1)).toBeLessThanOrEqual(0.01);
    });

    it('looks: cumulative totals at the end of each completed day and hour', async () => {
      const days = await query.looks(testId, 'day');
      expect(days.map((look) => [look.a.requests, look.b.requests])).toEqual([
        [3, 2],
        [4, 2],
        [4, 3],
      ]);
      expect(days[2]!.b.custom.accuracy).toEqual({ n: 3, sum: 2.25, sumSquares: 2.0625 });
      const hours = await query.looks(testId, 'hour');
      expect(hours.map((look) => look.a.requests)).toEqual([2, 3, 3, 3, 4, 4]);
      expect(hours.at(-1)).toEqual(days.at(-1));
    });

    it('timeseries per minute and hour', async () => {
      const range = { from: new Date(base - 60 * 60_000), to: new Date(base + 3 * day) };
      const requests = await query.timeseries(testId, 'requests', 'hour', range);
      expect(requests.series.a.map((p) => [p.bucket_start.slice(11, 16), p.value])).toEqual([
        ['22:00', 2],
        ['23:00', 1],
        ['23:00', 1],
      ]);
      const errorRate = await query.timeseries(testId, 'error_rate', 'minute', { from: new Date(base), to: new Date(base + 10 * 60_000) });
      expect(errorRate.series.b).toEqual([
        { bucket_start: iso(0), value: 1, count: 1 },
        { bucket_start: iso(2), value: 0, count: 1 },
      ]);
      const latency = await query.timeseries(testId, 'latency_ms', 'minute', { from: new Date(base), to: new Date(base + 10 * 60_000) });
      expect(latency.series.a.map((p) => [p.value, p.count])).toEqual([
        [100, 1],
        [200, 1],
        [300, 1],
      ]);
      expect(Math.abs(latency.series.a[2]!.p95! / 300 - 1)).toBeLessThanOrEqual(0.01);
      const accuracy = await query.timeseries(testId, 'custom:accuracy', 'hour', range);
      expect(accuracy.series.b.map((p) => [p.value, p.count])).toEqual([
        [1, 1],
        [1, 1],
        [0.25, 1],
      ]);
      await expect(query.timeseries(testId, 'bogus' as 'requests', 'minute')).rejects.toMatchObject({ code: 'UNKNOWN_METRIC' });
      await expect(query.timeseries(testId, 'requests', 'minute', { from: new Date(0), to: new Date() })).rejects.toMatchObject({ code: 'INVALID_TIME_RANGE' });
    });
  });

  describe('GET /metrics', () => {
    it('exposes per-test counters, the latency histogram and process metrics as Prometheus text', async () => {
      const testId = await insertAbTestRow(t.dataSource);
      metrics.recordRequest(testId, 'a', { latencyMs: 3 });
      metrics.recordRequest(testId, 'a', { latencyMs: 700, error: true });
      metrics.recordMetric(testId, 'b', 'accuracy', 1);
      await metrics.flushNow();
      await ingest(testId, [{ variant: 'a', error: true }]);

      const res = await t.http().get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const labels = `ab_test_id="${testId}",variant="a"`;
      expect(res.text).toContain(`model_ab_requests_total{${labels}} 3`);
      expect(res.text).toContain(`model_ab_errors_total{${labels}} 2`);
      expect(res.text).toContain(`model_ab_request_latency_ms_bucket{${labels},le="2.5"} 0`);
      expect(res.text).toContain(`model_ab_request_latency_ms_bucket{${labels},le="5"} 1`);
      expect(res.text).toContain(`model_ab_request_latency_ms_bucket{${labels},le="+Inf"} 2`);
      expect(res.text).toContain(`model_ab_request_latency_ms_count{${labels}} 2`);
      expect(res.text).toContain(`model_ab_request_latency_ms_sum{${labels}} 703`);
      expect(res.text).toContain(`model_ab_custom_metric_total{ab_test_id="${testId}",variant="b",metric="custom:accuracy"} 1`);
      expect(res.text).toContain('# TYPE model_ab_request_latency_ms histogram');
      expect(res.text).toContain('process_cpu_user_seconds_total');
    });
  });
});

describe('metrics durability', () => {
  it('flushes at shutdown (checked from another connection after app.close())', async () => {
    const database = await createTestDatabase(inject('adminDatabaseUrl'));
    try {
      // Flushing every hour: only the shutdown flush can write these.
      const app = await createTestApp({ METRICS_FLUSH_MS: '3600000' }, { database });
      const testId = await insertAbTestRow(app.dataSource);
      const recorder = app.app.get(MetricsService);
      for (let i = 0; i < 10; i++) recorder.recordRequest(testId, 'b', { latencyMs: 5, error: i < 3 });
      recorder.recordMetric(testId, 'b', 'accuracy', 0.5);
      expect(await storedRows(app.dataSource, testId)).toEqual([]);
      await app.app.close();

      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const rows = await storedRows(client, testId);
        expect(rows.filter((r) => r.metric === 'requests').reduce((n, r) => n + r.count, 0)).toBe(10);
        expect(rows.filter((r) => r.metric === 'requests').reduce((n, r) => n + r.errors, 0)).toBe(3);
        expect(rows.filter((r) => r.metric === 'custom:accuracy').reduce((n, r) => n + r.count, 0)).toBe(1);
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });

  it('a flush that fails while PostgreSQL is down is retried after it is back, with nothing lost or counted twice', async () => {
    const { EmbeddedPostgres } = await import('../../src/database/embedded-postgres.js');
    const { freePort } = await import('../support/free-port.js');
    const path = await import('node:path');
    const dir = path.join(inject('testTmpDir'), `metrics-down-${randomUUID().slice(0, 8)}`);
    const cluster = new EmbeddedPostgres({ clusterDir: path.join(dir, 'postgres'), passwordFile: path.join(dir, 'password'), port: await freePort(), log: () => undefined });
    const url = await cluster.start();
    let app: TestApp | null = null;
    try {
      app = await createTestApp({ METRICS_FLUSH_MS: '3600000' }, { database: { url } });
      const recorder = app.app.get(MetricsService);
      const testId = await insertAbTestRow(app.dataSource);
      recorder.recordRequest(testId, 'a', { latencyMs: 1 });
      await recorder.flushNow();

      await cluster.stop();
      for (let i = 0; i < 5; i++) recorder.recordRequest(testId, 'a', { latencyMs: 2, error: true });
      await expect(recorder.flushNow()).rejects.toThrow();
      for (let i = 0; i < 2; i++) recorder.recordRequest(testId, 'b', { latencyMs: 3 });
      recorder.recordMetric(testId, 'b', 'accuracy', 1);
      await expect(recorder.flushNow()).rejects.toThrow();

      await cluster.start();
      // The pool may first hand out a connection that died with the server: retry like the timer would.
      await waitFor(() => recorder.flushNow().then(() => true, () => false), 15_000);

      const requests = (await app.dataSource.query(
        `SELECT variant, sum(count)::int AS requests, sum(errors)::int AS errors FROM metric_aggregates WHERE ab_test_id = $1 AND metric = 'requests' GROUP BY variant ORDER BY variant`,
        [testId],
      )) as Array<{ variant: string; requests: number; errors: number }>;
      expect(requests).toEqual([
        { variant: 'a', requests: 6, errors: 5 },
        { variant: 'b', requests: 2, errors: 0 },
      ]);
      const snapshot = await app.app.get(MetricsQueryService).snapshot(testId);
      expect([snapshot.a.requests, snapshot.a.errors, snapshot.b.requests, snapshot.b.custom.accuracy?.n]).toEqual([6, 5, 2, 1]);
    } finally {
      await app?.close();
      await cluster.stop();
    }
  });
});
