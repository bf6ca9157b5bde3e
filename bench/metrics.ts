/**
 * `npm run bench:metrics` — the metrics module's three targets, each next to a reference measured
 * in the same run:
 *
 * 1. In-process recording: MetricsService.recordRequest calls/s on one core (target ≥ 5,000,000).
 * 2. Ingestion, batches of 1,000 events, acknowledged = durable (target ≥ 200,000 events/s),
 *    next to single-row INSERTs (one event per statement, autocommit) against the same database:
 *    in-process through MetricsIngestionService, and over HTTP (POST /api/v1/ab-tests/{id}/metrics
 *    on the compiled app, `dist/`, core 0; autocannon on core 1) when that route exists. Also the
 *    CPU cost of validating a batch through the DTOs (class-validator) vs parseMetricBatch.
 * 3. Reads for a test holding 10,000,000 recorded events (7 days × 1,440 minutes × 2 variants,
 *    requests + latency + one custom metric, inserted as aggregates) and 10,000,000 stored
 *    assignments: snapshot p99 (target < 50 ms), looks, snapshot + looks + computeResults, the
 *    assignment counts from their counters next to the count(*) they replace; GET /ab-tests/{id}/results
 *    and GET /ab-tests/{id} over HTTP (target p99 < 50 ms).
 *
 * Options: --duration <s> (5) --connections <n> (8) --events <n> (10000000) --assignments <n> (10000000) --no-build --no-http
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DataSource } from 'typeorm';
import { secretKey, signToken } from '../src/auth/token-signer.js';
import { loadConfig } from '../src/config/app-config.js';
import { AggregateRowSet } from '../src/modules/metrics/aggregate-rows.js';
import { PostgresAggregateStore, type AggregateStore } from '../src/modules/metrics/aggregate.store.js';
import { FakeAggregateStore } from '../src/modules/metrics/fake-aggregate.store.js';
import { FlushWriter } from '../src/modules/metrics/flush-writer.js';
import { MetricsConfig } from '../src/modules/metrics/metrics.config.js';
import { RecordingTestsPort } from '../src/modules/metrics/recording-tests.js';
import { DataSourceTransactions, FakeTransactions } from '../src/database/transactions.js';
import { MetricBatchDto } from '../src/modules/metrics/dto/metric-batch.dto.js';
import { LogBucketSketch } from '../src/modules/metrics/log-bucket-sketch.js';
import { DeltaBuffer, MINUTE_MS, TestDeltas, ValueDeltas } from '../src/modules/metrics/metric-deltas.js';
import { parseMetricBatch, type MetricEvent } from '../src/modules/metrics/metric-events.js';
import { MetricsIngestionService } from '../src/modules/metrics/metrics-ingestion.service.js';
import { MetricsQueryService } from '../src/modules/metrics/metrics-query.service.js';
import { MetricsService } from '../src/modules/metrics/metrics.service.js';
import { mulberry32 } from '../src/modules/metrics/stats/mulberry32.js';
import { computeResults } from '../src/modules/metrics/stats/index.js';
import type { MetricsLoadConfig } from './metrics-load.js';
import { cores } from './support/cpu.js';
import { runLoad as runLoadScript, type LoadResult } from './support/load.js';
import { fmt, percentile } from './support/report.js';
import { benchLog, build, runMain, startApp, withBenchPostgres, type StartedApp } from './support/server.js';

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    events: { type: 'string', default: '10000000' },
    assignments: { type: 'string', default: '10000000' },
    'no-build': { type: 'boolean', default: false },
    'no-http': { type: 'boolean', default: false },
  },
});
const durationS = Number(options.duration);
const connections = Number(options.connections);
const bigTestEvents = Number(options.events);
const bigTestAssignments = Number(options.assignments);
const BATCH = 1000;

const ms = (n: number): string => `${n.toFixed(2)} ms`;

const log = benchLog('metrics');

async function timeIt(iterations: number, run: () => Promise<unknown>): Promise<{ p50: number; p99: number; max: number }> {
  for (let i = 0; i < Math.min(20, iterations); i++) await run(); // warm-up: JIT, plan cache, buffers
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((x, y) => x - y);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: samples.at(-1)! };
}

/** Runs `worker` on `concurrency` lanes for `seconds`; returns completed operations per second. */
async function throughput(seconds: number, concurrency: number, worker: (lane: number) => Promise<void>): Promise<{ perSecond: number; done: number }> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (performance.now() < deadline) {
        await worker(lane);
        done++;
      }
    }),
  );
  return { perSecond: (done * 1000) / (performance.now() - started), done };
}

function batchOfEvents(seed: number): MetricEvent[] {
  const u = mulberry32(seed);
  return Array.from({ length: BATCH }, (_, i): MetricEvent => {
    const variant = i % 2 === 0 ? 'a' : 'b';
    if (i % 10 === 9) return { variant, metric: 'accuracy', value: u() < 0.9 ? 1 : 0, user_id: `user-${i}` };
    return { variant, latency_ms: Math.round(120 * Math.exp(0.5 * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())) * 10) / 10, error: u() < 0.01, user_id: `user-${i}` };
  });
}

async function insertTestRow(db: DataSource, label: string): Promise<string> {
  const id = randomUUID();
  const modelType = `bench_${id.slice(0, 8)}`;
  await db.query(`INSERT INTO models (name, task) VALUES ($1, 'text-classification')`, [modelType]);
  await db.query(
    `INSERT INTO ab_tests (id, name, model_type, variant_a, variant_b, traffic_split, status, hash_seed, created_by, start_date, criteria, metric_definitions)
     VALUES ($1, $2, $3, 'v1.0.0', 'v2.0.0', '{"a": 0.5, "b": 0.5}', 'active', $4, 'bench', now() - interval '7 days',
             '{"min_requests": 10000, "max_error_rate": 0.01, "max_latency_ms": 200}', '[{"name": "accuracy", "higher_is_better": true}]')`,
    [id, label, modelType, `seed-${id}`],
  );
  return id;
}

// ——— 1. in-process recording ———

function benchRecording(): { requestsPerS: number; metricsPerS: number } {
  // Recording only: nothing is flushed in this part, so in-memory stand-ins serve.
  const store = new FakeAggregateStore();
  const service = new MetricsService(new FlushWriter(new FakeTransactions(), store, new RecordingTestsPort()), store, MetricsConfig.of(loadConfig({})));
  const tests = Array.from({ length: 8 }, () => randomUUID());
  const latencies = new Float64Array(4096);
  const u = mulberry32(1);
  for (let i = 0; i < latencies.length; i++) latencies[i] = 120 * Math.exp(0.5 * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()));
  const calls = 30_000_000;
  let best = 0;
  for (let round = 0; round < 4; round++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) service.recordRequest(tests[i & 7]!, (i & 1) === 0 ? 'a' : 'b', { latencyMs: latencies[i & 4095], error: (i & 127) === 0 });
    best = Math.max(best, (calls * 1000) / (performance.now() - started));
  }
  let bestMetric = 0;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let i = 0; i < calls / 3; i++) service.recordMetric(tests[i & 7]!, (i & 1) === 0 ? 'a' : 'b', 'accuracy', latencies[i & 4095]!);
    bestMetric = Math.max(bestMetric, (calls / 3) * 1000 / (performance.now() - started));
  }
  return { requestsPerS: best, metricsPerS: bestMetric };
}

// ——— 3. the 10M-event test ———

/** Aggregates of `total` request events (+ one custom value per 10 requests) over the 7 days before now. */
async function insertBigTest(db: DataSource, store: AggregateStore, testId: string, total: number): Promise<void> {
  const minutes = 7 * 1440;
  const buckets = minutes * 2;
  const perBucket = Math.floor(total / buckets);
  let extra = total - perBucket * buckets;
  const u = mulberry32(99);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const firstMinute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - minutes * MINUTE_MS;
  for (let day = 0; day < 7; day++) {
    const rows = new AggregateRowSet();
    for (let m = day * 1440; m < (day + 1) * 1440; m++) {
      const buffer = new DeltaBuffer(firstMinute + m * MINUTE_MS);
      const test = new TestDeltas();
      buffer.tests.set(testId, test);
      for (const variant of ['a', 'b'] as const) {
        const deltas = test[variant];
        const n = perBucket + (extra-- > 0 ? 1 : 0);
        const median = variant === 'a' ? 120 : 115;
        const errorRate = variant === 'a' ? 0.005 : 0.004;
        const accuracy = new ValueDeltas();
        for (let i = 0; i < n; i++) {
          deltas.requests++;
          if (u() < errorRate) deltas.errors++;
          deltas.latency.add(median * Math.exp(0.45 * normal()));
          if (i % 10 === 0) accuracy.add(u() < (variant === 'a' ? 0.9 : 0.905) ? 1 : 0);
        }
        deltas.custom = new Map([['custom:accuracy', accuracy]]);
      }
      rows.addBuffer(buffer);
    }
    await new DataSourceTransactions(db).run((tx) => store.upsert(tx, rows.list()));
  }
}

// ——— HTTP ———

const runLoad = (tmp: string, name: string, config: MetricsLoadConfig): LoadResult => runLoadScript<LoadResult>(tmp, name, 'metrics-load.ts', config);

async function main(): Promise<void> {
  console.log(`model-ab metrics benchmark — ${new Date().toISOString()}, Node ${process.version}, ${cores} cores (${os.cpus()[0]?.model ?? '?'})`);

  log('1/3 in-process recordRequest, one core');
  const recording = benchRecording();

  build(options['no-build'] || options['no-http'], log);
  await withBenchPostgres(async ({ tmp, databaseUrl }) => {
    let server: StartedApp | null = null;
    let db: DataSource | null = null;
    try {
      const secret = randomBytes(32).toString('hex');
      const { dataSourceOptions } = await import('../src/database/data-source-options.js');
      // No entities: the metrics services only run SQL, and tsx does not emit the decorator metadata entities need.
      db = await new DataSource({ ...dataSourceOptions({ url: databaseUrl, poolSize: connections + 2 }), entities: [] }).initialize();
      const { runMigrationsLocked } = await import('../src/database/run-migrations.js');
      await runMigrationsLocked(db);
      const store = new PostgresAggregateStore(db);
      const ingestion = new MetricsIngestionService(new DataSourceTransactions(db), store);
      const query = new MetricsQueryService(store);
      // What the route does: parse (validate) the body once, then ingest.
      const ingestBody = (testId: string, events: MetricEvent[]) => ingestion.ingest(testId, parseMetricBatch({ events }));

      // ——— 2. ingestion vs single-row inserts ———
      log(`2/3 ingestion: batches of ${BATCH}, ${connections} in flight, ${durationS} s; single-row INSERTs, same database`);
      const batches = Array.from({ length: 16 }, (_, i) => batchOfEvents(i + 1));
      const ingestTest = await insertTestRow(db, 'bench: in-process ingestion');
      await throughput(1, connections, async (lane) => void (await ingestBody(ingestTest, batches[lane % batches.length]!))); // warm-up
      const [{ before }] = (await db.query(`SELECT coalesce(sum(count), 0)::float8 AS before FROM metric_aggregates WHERE ab_test_id = $1 AND metric IN ('requests')`, [ingestTest])) as [{ before: number }];
      let requestEvents = 0;
      const inProcess = await throughput(durationS, connections, async (lane) => {
        const result = await ingestBody(ingestTest, batches[lane % batches.length]!);
        requestEvents += result.requests;
      });
      const [{ after }] = (await db.query(`SELECT coalesce(sum(count), 0)::float8 AS after FROM metric_aggregates WHERE ab_test_id = $1 AND metric IN ('requests')`, [ingestTest])) as [{ after: number }];
      if (after - before !== requestEvents) throw new Error(`durability check failed: ${after - before} requests stored, ${requestEvents} acknowledged`);

      await db.query(`CREATE TABLE bench_metric_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ab_test_id uuid NOT NULL, variant text NOT NULL, latency_ms double precision, error boolean, metric text, value double precision, created_at timestamptz NOT NULL DEFAULT now())`);
      const insertOne = (event: MetricEvent) =>
        db!.query(`INSERT INTO bench_metric_events (ab_test_id, variant, latency_ms, error, metric, value) VALUES ($1, $2, $3, $4, $5, $6)`, [
          ingestTest,
          event.variant,
          event.latency_ms ?? null,
          event.error ?? null,
          event.metric ?? null,
          event.value ?? null,
        ]);
      let next = 0;
      const singleSerial = await throughput(durationS, 1, async () => void (await insertOne(batches[0]![next++ % BATCH]!)));
      const singleConcurrent = await throughput(durationS, connections, async () => void (await insertOne(batches[0]![next++ % BATCH]!)));

      // DTO validation (what the global ValidationPipe does) vs the pure validator, per 1,000-event batch.
      const body = { events: batches[0]! };
      const dtoCost = await timeIt(200, async () => {
        const dto = plainToInstance(MetricBatchDto, body);
        const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
        if (errors.length > 0) throw new Error('unexpected validation error');
      });
      const pureCost = await timeIt(2000, async () => void parseMetricBatch(body));

      // ——— 3. the 10M-event test ———
      log(`3/3 inserting the aggregates of ${fmt(bigTestEvents)} events (7 days × 1,440 minutes × 2 variants)`);
      const bigTest = await insertTestRow(db, 'bench: 10M events');
      const insertStarted = performance.now();
      await insertBigTest(db, store, bigTest, bigTestEvents);
      const insertS = (performance.now() - insertStarted) / 1000;
      await db.query('VACUUM ANALYZE metric_aggregates');
      await db.query('VACUUM ANALYZE metric_rollups');
      const [{ minuteRows }] = (await db.query(`SELECT count(*)::int AS "minuteRows" FROM metric_aggregates WHERE ab_test_id = $1`, [bigTest])) as [{ minuteRows: number }];
      const snapshot = await query.snapshot(bigTest);
      if (snapshot.a.requests + snapshot.b.requests !== bigTestEvents) throw new Error(`the big test holds ${snapshot.a.requests + snapshot.b.requests} requests`);

      log(`3/3 storing ${fmt(bigTestAssignments)} assignments for the same test (100,000 per statement; the counters' trigger runs once per statement)`);
      const assignStarted = performance.now();
      // Statements stay well under the pool's 30 s query timeout, even on a busy machine.
      for (let from = 0; from < bigTestAssignments; from += 100_000) {
        await db.query(
          `INSERT INTO ab_test_assignments (ab_test_id, user_id, variant, split_version)
             SELECT $1, 'user-' || i, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END::ab_test_variant, 1 FROM generate_series($2::int, $3::int) AS i`,
          [bigTest, from + 1, Math.min(bigTestAssignments, from + 100_000)],
        );
      }
      const assignS = (performance.now() - assignStarted) / 1000;
      await db.query('VACUUM ANALYZE ab_test_assignments');
      await db.query('VACUUM ANALYZE ab_test_assignment_counts');
      const countersTime = await timeIt(300, () =>
        db!.query(`SELECT split_version, variant, sum(count)::float8 AS count FROM ab_test_assignment_counts WHERE ab_test_id = $1 GROUP BY 1, 2`, [bigTest]),
      );
      const countStarTime = await timeIt(3, () =>
        db!.query(`SELECT split_version, variant, count(*)::float8 AS count FROM ab_test_assignments WHERE ab_test_id = $1 GROUP BY 1, 2`, [bigTest]),
      );

      const snapshotTime = await timeIt(300, () => query.snapshot(bigTest));
      const rangeFrom = new Date(Date.now() - 3.5 * 86_400_000 - 17 * 60_000);
      const rangeTime = await timeIt(300, () => query.snapshot(bigTest, { from: rangeFrom }));
      const looksHourTime = await timeIt(100, () => query.looks(bigTest, 'hour'));
      const resultsTime = await timeIt(300, async () => {
        const [current, looks] = await Promise.all([query.snapshot(bigTest), query.looks(bigTest, 'day')]);
        return computeResults({
          testId: bigTest,
          status: 'active',
          computedAt: new Date(),
          split: { a: 0.5, b: 0.5 },
          assignmentsBySplitVersion: [{ split: { a: 0.5, b: 0.5 }, a: 100_000, b: 100_300 }],
          metricDeclarations: [{ name: 'accuracy', higher_is_better: true }],
          criteria: { min_requests: 10_000, max_error_rate: 0.01, max_latency_ms: 200 },
          current,
          looks,
        });
      });
      // What the rollups save: the same snapshot (moments in SQL, sketches merged here) over the minute rows alone.
      const minutesOnlyTime = await timeIt(10, async () => {
        const rows = (await db!.query(
          `SELECT variant, metric, sum(count)::float8 AS count, NULL::jsonb AS sketch FROM metric_aggregates WHERE ab_test_id = $1 GROUP BY 1, 2
           UNION ALL SELECT variant, metric, NULL, sketch FROM metric_aggregates WHERE ab_test_id = $1 AND metric = 'latency_ms'`,
          [bigTest],
        )) as Array<{ variant: 'a' | 'b'; sketch: Record<string, number> | null }>;
        const sketches = { a: new LogBucketSketch(), b: new LogBucketSketch() };
        for (const row of rows) if (row.sketch) sketches[row.variant].mergeCounts(row.sketch);
        return [sketches.a.quantiles([0.5, 0.95, 0.99]), sketches.b.quantiles([0.5, 0.95, 0.99])];
      });

      // ——— HTTP ———
      let http: { ingest: LoadResult | null; ingestStored: number; results: LoadResult | null; detail: LoadResult | null; note: string[] } = {
        ingest: null,
        ingestStored: 0,
        results: null,
        detail: null,
        note: [],
      };
      if (!options['no-http']) {
        log('HTTP: starting the compiled app on core 0');
        const started = await startApp({
          databaseUrl,
          jwtSecret: secret,
          dataDir: path.join(tmp, 'data'),
          extra: { SEED_EXAMPLE_MODELS: 'false', RATE_LIMIT_WRITES_PER_MINUTE: '0', RATE_LIMIT_SERVICE_WRITES_PER_MINUTE: '0', BODY_LIMIT_BYTES: String(20 * 1024 * 1024) },
        });
        server = started;
        const service = signToken(secretKey(secret), { sub: 'bench-service', roles: ['service'], ttl: '2h' });
        const httpTest = await insertTestRow(db, 'bench: HTTP ingestion');
        const bodyFile = path.join(tmp, 'batch.json');
        fs.writeFileSync(bodyFile, JSON.stringify({ events: batches[0] }));
        const ingestUrl = `${started.url}/api/v1/ab-tests/${httpTest}/metrics`;
        const probe = await fetch(ingestUrl, { method: 'POST', headers: { authorization: `Bearer ${service}`, 'content-type': 'application/json' }, body: fs.readFileSync(bodyFile) });
        if (probe.status === 404 && /Cannot POST/.test(await probe.text())) {
          http.note.push('POST /api/v1/ab-tests/{id}/metrics does not exist yet (phase 2): HTTP ingestion not measured');
        } else if (!probe.ok) {
          http.note.push(`POST /api/v1/ab-tests/{id}/metrics answered ${probe.status}: HTTP ingestion not measured`);
        } else {
          runLoad(tmp, 'ingest-warmup', { url: ingestUrl, method: 'POST', token: service, bodyFile, durationS: 2, connections });
          const [{ before: httpBefore }] = (await db.query(`SELECT coalesce(sum(count), 0)::float8 AS before FROM metric_aggregates WHERE ab_test_id = $1 AND metric = 'requests'`, [httpTest])) as [{ before: number }];
          const ingest = runLoad(tmp, 'ingest', { url: ingestUrl, method: 'POST', token: service, bodyFile, durationS, connections });
          const [{ after: httpAfter }] = (await db.query(`SELECT coalesce(sum(count), 0)::float8 AS after FROM metric_aggregates WHERE ab_test_id = $1 AND metric = 'requests'`, [httpTest])) as [{ after: number }];
          http = { ...http, ingest, ingestStored: httpAfter - httpBefore };
        }
        const resultsUrl = `${started.url}/api/v1/ab-tests/${bigTest}/results`;
        const resultsProbe = await fetch(resultsUrl, { headers: { authorization: `Bearer ${service}` } });
        if (resultsProbe.ok) {
          runLoad(tmp, 'results-warmup', { url: resultsUrl, method: 'GET', token: service, durationS: 2, connections: 1 });
          http.results = runLoad(tmp, 'results', { url: resultsUrl, method: 'GET', token: service, durationS, connections: 1 });
          const detailUrl = `${started.url}/api/v1/ab-tests/${bigTest}`;
          runLoad(tmp, 'detail-warmup', { url: detailUrl, method: 'GET', token: service, durationS: 2, connections: 1 });
          http.detail = runLoad(tmp, 'detail', { url: detailUrl, method: 'GET', token: service, durationS, connections: 1 });
        } else {
          http.note.push(`GET /api/v1/ab-tests/{id}/results answered ${resultsProbe.status} (phase 2): not measured over HTTP`);
        }
      }

      // ——— report ———
      const requestShare = batches[0]!.filter((e) => e.metric === undefined).length / BATCH;
      console.log('\n### In-process recording (one core)');
      console.log('| call | per second | per call |\n|---|---|---|');
      console.log(`| MetricsService.recordRequest | ${fmt(recording.requestsPerS)} | ${(1e9 / recording.requestsPerS).toFixed(0)} ns |`);
      console.log(`| MetricsService.recordMetric | ${fmt(recording.metricsPerS)} | ${(1e9 / recording.metricsPerS).toFixed(0)} ns |`);

      console.log(`\n### Ingestion, acknowledged = durable (batches of ${BATCH}; ${Math.round(requestShare * 100)}% request outcomes, the rest custom values)`);
      console.log('| path | events/s | batches/s | vs single-row INSERT (same concurrency) |\n|---|---|---|---|');
      console.log(`| MetricsIngestionService.ingest, in-process, ${connections} in flight | ${fmt(inProcess.perSecond * BATCH)} | ${fmt(inProcess.perSecond)} | ${((inProcess.perSecond * BATCH) / singleConcurrent.perSecond).toFixed(0)}× |`);
      if (http.ingest) {
        const okRps = (http.ingest.total - http.ingest.non_2xx) / durationS;
        console.log(
          `| POST /api/v1/ab-tests/{id}/metrics, ${connections} connections | ${fmt(http.ingest.rps * BATCH)} | ${fmt(http.ingest.rps)} (p50 ${http.ingest.p50_ms} ms, p99 ${http.ingest.p99_ms} ms) | ${((okRps * BATCH) / singleConcurrent.perSecond).toFixed(0)}× |`,
        );
      }
      console.log(`| single-row INSERT, 1 connection | ${fmt(singleSerial.perSecond)} | — | 1 event per statement |`);
      console.log(`| single-row INSERT, ${connections} connections | ${fmt(singleConcurrent.perSecond)} | — | 1× |`);
      console.log(`\nValidating one batch of ${BATCH}: DTOs (plainToInstance + class-validator) p50 ${ms(dtoCost.p50)}, parseMetricBatch p50 ${ms(pureCost.p50)} (${(dtoCost.p50 / pureCost.p50).toFixed(0)}×).`);
      console.log(`In-process durability check: ${fmt(requestEvents)} request outcomes acknowledged, ${fmt(after - before)} stored.`);
      if (http.ingest) console.log(`HTTP durability check: ${fmt((http.ingest.total - http.ingest.non_2xx) * BATCH * requestShare)} request outcomes acknowledged 2xx, ${fmt(http.ingestStored)} stored; non-2xx ${http.ingest.non_2xx + http.ingest.errors}.`);

      console.log(
        `\n### Reads, a test holding ${fmt(bigTestEvents)} events (${fmt(minuteRows)} minute rows; inserted in ${insertS.toFixed(1)} s) and ${fmt(bigTestAssignments)} assignments (stored in ${assignS.toFixed(1)} s)`,
      );
      console.log('| read | p50 | p99 | max |\n|---|---|---|---|');
      const line = (name: string, t: { p50: number; p99: number; max: number }) => console.log(`| ${name} | ${ms(t.p50)} | ${ms(t.p99)} | ${ms(t.max)} |`);
      line('snapshot (all data)', snapshotTime);
      line('snapshot, range from 3.5 days ago (mid-hour)', rangeTime);
      line('looks, hourly (168)', looksHourTime);
      line('snapshot + daily looks + computeResults', resultsTime);
      line('same snapshot summed over minute rows only (no rollups)', minutesOnlyTime);
      line('assignment counts from ab_test_assignment_counts (what the reads use)', countersTime);
      line('assignment counts by count(*) over the rows (what they used before; 3 runs)', countStarTime);
      if (http.results) console.log(`| GET /api/v1/ab-tests/{id}/results over HTTP (1 connection) | ${http.results.p50_ms} ms | ${http.results.p99_ms} ms | — |`);
      if (http.detail) console.log(`| GET /api/v1/ab-tests/{id} over HTTP (1 connection) | ${http.detail.p50_ms} ms | ${http.detail.p99_ms} ms | — |`);

      const inProcessEventsPerS = inProcess.perSecond * BATCH;
      const httpEventsPerS = http.ingest ? http.ingest.rps * BATCH : null;
      console.log('\n### Targets');
      console.log('| target | measured | met |\n|---|---|---|');
      console.log(`| recordRequest ≥ 5,000,000 calls/s | ${fmt(recording.requestsPerS)} | ${recording.requestsPerS >= 5e6 ? 'yes' : 'NO'} |`);
      console.log(`| ingestion ≥ 200,000 events/s (in-process) | ${fmt(inProcessEventsPerS)} | ${inProcessEventsPerS >= 2e5 ? 'yes' : 'NO'} |`);
      console.log(`| ingestion ≥ 200,000 events/s (HTTP) | ${httpEventsPerS === null ? 'not measured' : fmt(httpEventsPerS)} | ${httpEventsPerS === null ? '—' : httpEventsPerS >= 2e5 ? 'yes' : 'NO'} |`);
      console.log(`| results p99 < 50 ms, 10M events (in-process: snapshot + looks + statistics) | ${ms(resultsTime.p99)} | ${resultsTime.p99 < 50 ? 'yes' : 'NO'} |`);
      if (http.results) console.log(`| results p99 < 50 ms, 10M events and 10M assignments (HTTP) | ${http.results.p99_ms} ms | ${http.results.p99_ms < 50 ? 'yes' : 'NO'} |`);
      if (http.detail) console.log(`| GET /ab-tests/{id} p99 < 50 ms, 10M assignments (HTTP) | ${http.detail.p99_ms} ms | ${http.detail.p99_ms < 50 ? 'yes' : 'NO'} |`);
      for (const note of http.note) console.log(`\nNote: ${note}`);
    } finally {
      await server?.stop();
      await db?.destroy();
    }
  });
}

runMain(main);
