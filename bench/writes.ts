/**
 * `npm run bench:writes` — what the database does per unit of traffic, the inputs of the capacity
 * model in docs/scaling.md: transactions, rows written and WAL bytes per brand-new user (first
 * assignment, group-committed), per ingested metric batch (1,000 events) and per in-process metric
 * flush. Counts come from PostgreSQL itself (pg_stat_database, pg_stat_user_tables, the WAL insert
 * position), read after the workload's connections closed (a backend reports its counters when it
 * exits). Runs on an embedded PostgreSQL in a temporary folder.
 *
 * Options: --users <n> (20000) --concurrency <n> (32) --batches <n> (200) --flushes <n> (20)
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import 'reflect-metadata';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { runMigrationsLocked } from '../src/database/run-migrations.js';
import { DataSourceTransactions } from '../src/database/transactions.js';
import { AssignmentWriter } from '../src/modules/ab-tests/assignment/assignment-writer.js';
import { PostgresAssignmentStore } from '../src/modules/ab-tests/assignment/assignment.store.js';
import { PostgresAbTestRepository } from '../src/modules/ab-tests/ab-test.repository.js';
import { AbTestsRecording } from '../src/modules/ab-tests/results/ab-test-metrics.service.js';
import { PostgresAggregateStore } from '../src/modules/metrics/aggregate.store.js';
import { FlushWriter } from '../src/modules/metrics/flush-writer.js';
import { MetricsConfig } from '../src/modules/metrics/metrics.config.js';
import { RecordingTestsPort } from '../src/modules/metrics/recording-tests.js';
import { MetricsIngestionService } from '../src/modules/metrics/metrics-ingestion.service.js';
import { MetricsService } from '../src/modules/metrics/metrics.service.js';
import { parseMetricBatch, type MetricEvent } from '../src/modules/metrics/metric-events.js';
import { benchLog, runMain, withBenchPostgres } from './support/server.js';
import { fmt, table } from './support/report.js';

const log = benchLog('writes');

interface Counters {
  xacts: number;
  inserted: number;
  updated: number;
  walBytes: number;
}

async function counters(url: string, tables: string[]): Promise<Counters> {
  // Give exiting backends a moment to report their counters.
  await new Promise((resolve) => setTimeout(resolve, 700));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: db } = await client.query<{ xacts: string; wal: string }>(
      `SELECT xact_commit + xact_rollback AS xacts, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text AS wal FROM pg_stat_database WHERE datname = current_database()`,
    );
    const { rows: t } = await client.query<{ ins: string; upd: string }>(
      `SELECT coalesce(sum(n_tup_ins), 0)::text AS ins, coalesce(sum(n_tup_upd), 0)::text AS upd FROM pg_stat_user_tables WHERE relname = ANY($1)`,
      [tables],
    );
    return { xacts: Number(db[0]!.xacts), walBytes: Number(db[0]!.wal), inserted: Number(t[0]!.ins), updated: Number(t[0]!.upd) };
  } finally {
    await client.end();
  }
}

/** Runs `work` on a fresh DataSource and returns the counters it moved (minus the reading client's own transaction). */
async function measure(url: string, tables: string[], work: (db: DataSource) => Promise<void>): Promise<Counters> {
  const before = await counters(url, tables);
  const db = await new DataSource({ ...dataSourceOptions({ url, poolSize: 10 }), entities: [] }).initialize();
  try {
    await work(db);
  } finally {
    await db.destroy();
  }
  const after = await counters(url, tables);
  return { xacts: after.xacts - before.xacts - 2, inserted: after.inserted - before.inserted, updated: after.updated - before.updated, walBytes: after.walBytes - before.walBytes };
}

function events(n: number, seed: number): MetricEvent[] {
  return Array.from({ length: n }, (_, i) => ({ variant: (i + seed) % 2 ? 'a' : 'b', latency_ms: 5 + ((i * 31 + seed) % 400), error: (i + seed) % 50 === 0 }));
}

async function main(): Promise<void> {
  const { values: options } = parseArgs({ options: { users: { type: 'string', default: '20000' }, batches: { type: 'string', default: '200' }, flushes: { type: 'string', default: '20' }, concurrency: { type: 'string', default: '32' } } });
  const users = Number(options.users);
  const batches = Number(options.batches);
  const flushes = Number(options.flushes);
  /** First requests in flight at once (≈ HTTP connections): how many rows one INSERT can carry. */
  const concurrency = Number(options.concurrency);
  await withBenchPostgres(async ({ databaseUrl }) => {
    const setup = await new DataSource({ ...dataSourceOptions({ url: databaseUrl, poolSize: 2 }), entities: [] }).initialize();
    await runMigrationsLocked(setup);
    const testId = randomUUID();
    await setup.query(`INSERT INTO models (name, task) VALUES ('bench_type', 'text-classification')`);
    await setup.query(
      `INSERT INTO ab_tests (id, name, model_type, variant_a, variant_b, traffic_split, status, hash_seed, created_by, start_date)
       VALUES ($1, 'bench', 'bench_type', 'v1.0.0', 'v2.0.0', '{"a": 0.5, "b": 0.5}', 'active', $2, 'bench', now())`,
      [testId, `seed-${testId}`],
    );
    await setup.destroy();

    log(`1/3 ${fmt(users)} brand-new users, ${concurrency} in flight`);
    let statements = 0;
    const assignments = await measure(databaseUrl, ['ab_test_assignments', 'ab_test_assignment_counts'], async (db) => {
      const writer = new AssignmentWriter(new PostgresAssignmentStore(db));
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < users) {
            const n = next++;
            await writer.assign(testId, `user-${n}`, n % 2 ? 'a' : 'b', 1);
          }
        }),
      );
      statements = writer.stats.statements;
    });

    log(`2/3 ${batches} ingested batches of 1,000 events, 8 in flight`);
    const ingestion = await measure(databaseUrl, ['metric_aggregates', 'metric_rollups'], async (db) => {
      const service = new MetricsIngestionService(new DataSourceTransactions(db), new PostgresAggregateStore(db));
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < batches) await service.ingest(testId, parseMetricBatch({ events: events(1000, next++) }));
        }),
      );
    });

    log(`3/3 ${flushes} in-process flushes of 10,000 recorded requests each`);
    const flushing = await measure(databaseUrl, ['metric_aggregates', 'metric_rollups', 'metric_flushes'], async (db) => {
      const store = new PostgresAggregateStore(db);
      const recording = new RecordingTestsPort();
      new AbTestsRecording(recording, new PostgresAbTestRepository(db)).onModuleInit();
      const metrics = new MetricsService(new FlushWriter(new DataSourceTransactions(db), store, recording), store, MetricsConfig.of(loadConfig({})));
      for (let f = 0; f < flushes; f++) {
        for (let i = 0; i < 10_000; i++) metrics.recordRequest(testId, i % 2 ? 'a' : 'b', { latencyMs: 5 + (i % 300), error: i % 50 === 0 });
        await metrics.flushNow();
      }
    });

    const per = (c: Counters, n: number) => [(c.xacts / n).toFixed(3), ((c.inserted + c.updated) / n).toFixed(2), fmt(c.walBytes / n)];
    console.log(`model-ab database writes — ${new Date().toISOString()}, Node ${process.version}, embedded PostgreSQL`);
    console.log('');
    console.log(table([['unit', 'transactions', 'rows written (ins + upd)', 'WAL bytes'], ['---', '---', '---', '---']]));
    console.log(table([[`per brand-new user (${fmt(users)} users, ${concurrency} in flight, ${fmt(statements)} INSERT statements)`, ...per(assignments, users)]]));
    console.log(table([[`per ingested batch of 1,000 events (${batches} batches)`, ...per(ingestion, batches)]]));
    console.log(table([['per ingested event', ...per(ingestion, batches * 1000)]]));
    console.log(table([[`per in-process flush (${flushes} flushes, 1 test × 2 variants)`, ...per(flushing, flushes)]]));
  });
}

runMain(main);
