import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { managerOf, type Tx } from '../../database/transactions.js';
import type { TrafficSplit } from './assignment/bucketing.js';
import { AbTest, type AbTestCriteria, type AbTestMode } from './entities/ab-test.entity.js';
import { RUNNING_STATUSES, type AbTestStatus } from './lifecycle/lifecycle.js';

export interface AbTestFilter {
  modelType?: string;
  status?: AbTestStatus;
  limit: number;
  offset: number;
}

/** What the assignment hot path reads of an active or paused test. */
export interface RunningTestRow {
  id: string;
  model_type: string;
  status: 'active' | 'paused';
  variant_a: string;
  variant_b: string;
  traffic_split: TrafficSplit;
  split_version: number;
  hash_seed: string;
  mode: string;
  shadow_sample_rate: number | null;
}

/** The test a guardrail check needs. */
export interface GuardedTest {
  status: AbTestStatus;
  autoPause: boolean;
  criteria: AbTestCriteria | null;
}

/** A test that takes metric events, as a batch sees it. */
export interface RecordingTest {
  status: AbTestStatus;
  mode: AbTestMode;
  variantA: string;
  variantB: string;
}

export interface RecordingTestVersions {
  id: string;
  variantA: string;
  variantB: string;
}

export interface RunningTestSummary {
  id: string;
  name: string;
  status: string;
}

/**
 * The one owner of `ab_tests`. With a `tx` a call runs on that transaction's connection (the
 * caller holds a row lock there, or must commit atomically with other tables).
 */
export abstract class AbTestRepository {
  abstract insert(tx: Tx, test: AbTest): Promise<void>;
  abstract findById(id: string, tx?: Tx): Promise<AbTest | null>;
  /** Locks the row (FOR UPDATE) until `tx` ends. */
  abstract findForUpdate(tx: Tx, id: string): Promise<AbTest | null>;
  abstract update(tx: Tx, id: string, changes: Partial<AbTest>): Promise<void>;
  /** Newest first (ties by id). */
  abstract list(filter: AbTestFilter): Promise<{ items: AbTest[]; total: number }>;
  /** Another test of the model type that is active or paused, if any. */
  abstract findOtherRunning(modelType: string, exceptId: string, tx?: Tx): Promise<RunningTestSummary | null>;
  /** The active or paused test of each model type (at most one each). */
  abstract findRunning(modelTypes: readonly string[]): Promise<RunningTestRow[]>;
  abstract findGuarded(id: string): Promise<GuardedTest | null>;
  /** Holds the row FOR SHARE until `tx` ends, so the test cannot complete halfway through a batch. */
  abstract lockForRecording(tx: Tx, id: string): Promise<RecordingTest | null>;
  /**
   * Of `ids`, the tests that record (active or paused; of `mode` only, when given), each held FOR
   * SHARE until `tx` ends (taken in id order), with their versions.
   */
  abstract lockRecordingTests(tx: Tx, ids: readonly string[], mode?: AbTestMode): Promise<RecordingTestVersions[]>;
}

const RUNNING_TEST_COLUMNS = 'id, model_type, status, variant_a, variant_b, traffic_split, split_version, hash_seed, mode, shadow_sample_rate';

@Injectable()
export class PostgresAbTestRepository extends AbTestRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  private db(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  async insert(tx: Tx, test: AbTest): Promise<void> {
    await managerOf(tx).insert(AbTest, test);
  }

  findById(id: string, tx?: Tx): Promise<AbTest | null> {
    return this.db(tx).getRepository(AbTest).findOneBy({ id });
  }

  findForUpdate(tx: Tx, id: string): Promise<AbTest | null> {
    return managerOf(tx).getRepository(AbTest).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async update(tx: Tx, id: string, changes: Partial<AbTest>): Promise<void> {
    await managerOf(tx).update(AbTest, { id }, changes);
  }

  async list(filter: AbTestFilter): Promise<{ items: AbTest[]; total: number }> {
    const [items, total] = await this.dataSource.getRepository(AbTest).findAndCount({
      where: { ...(filter.modelType ? { modelType: filter.modelType } : {}), ...(filter.status ? { status: filter.status } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: filter.limit,
      skip: filter.offset,
    });
    return { items, total };
  }

  async findOtherRunning(modelType: string, exceptId: string, tx?: Tx): Promise<RunningTestSummary | null> {
    const rows = (await this.db(tx).query(`SELECT id, name, status FROM ab_tests WHERE model_type = $1 AND status = ANY($2::ab_test_status[]) AND id <> $3 LIMIT 1`, [
      modelType,
      RUNNING_STATUSES,
      exceptId,
    ])) as RunningTestSummary[];
    return rows[0] ?? null;
  }

  async findRunning(modelTypes: readonly string[]): Promise<RunningTestRow[]> {
    if (modelTypes.length === 1) {
      return (await this.dataSource.query(`SELECT ${RUNNING_TEST_COLUMNS} FROM ab_tests WHERE model_type = $1 AND status IN ('active', 'paused')`, [
        modelTypes[0],
      ])) as RunningTestRow[];
    }
    return (await this.dataSource.query(`SELECT ${RUNNING_TEST_COLUMNS} FROM ab_tests WHERE model_type = ANY($1) AND status IN ('active', 'paused')`, [
      modelTypes,
    ])) as RunningTestRow[];
  }

  async findGuarded(id: string): Promise<GuardedTest | null> {
    const rows = (await this.dataSource.query('SELECT status::text AS status, auto_pause, criteria FROM ab_tests WHERE id = $1', [id])) as Array<{
      status: AbTestStatus;
      auto_pause: boolean;
      criteria: AbTestCriteria | null;
    }>;
    const row = rows[0];
    return row ? { status: row.status, autoPause: row.auto_pause, criteria: row.criteria } : null;
  }

  async lockForRecording(tx: Tx, id: string): Promise<RecordingTest | null> {
    const rows = (await managerOf(tx).query('SELECT status::text AS status, mode, variant_a, variant_b FROM ab_tests WHERE id = $1 FOR SHARE', [id])) as Array<{
      status: AbTestStatus;
      mode: AbTestMode;
      variant_a: string;
      variant_b: string;
    }>;
    const row = rows[0];
    return row ? { status: row.status, mode: row.mode, variantA: row.variant_a, variantB: row.variant_b } : null;
  }

  async lockRecordingTests(tx: Tx, ids: readonly string[], mode?: AbTestMode): Promise<RecordingTestVersions[]> {
    const rows = (await managerOf(tx).query(
      `SELECT id::text AS id, variant_a, variant_b FROM ab_tests
        WHERE id = ANY($1::uuid[]) AND status = ANY($2::ab_test_status[]) AND ($3::text IS NULL OR mode = $3) ORDER BY id FOR SHARE`,
      [ids, RUNNING_STATUSES, mode ?? null],
    )) as Array<{ id: string; variant_a: string; variant_b: string }>;
    return rows.map((row) => ({ id: row.id, variantA: row.variant_a, variantB: row.variant_b }));
  }
}
