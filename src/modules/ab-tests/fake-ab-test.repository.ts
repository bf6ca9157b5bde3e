import type { Tx } from '../../database/transactions.js';
import { AbTest, type AbTestMode } from './entities/ab-test.entity.js';
import { RUNNING_STATUSES } from './lifecycle/lifecycle.js';
import {
  AbTestRepository,
  type AbTestFilter,
  type GuardedTest,
  type RecordingTest,
  type RecordingTestVersions,
  type RunningTestRow,
  type RunningTestSummary,
} from './ab-test.repository.js';

/** In memory, for unit specs of the services: the rows as PostgreSQL would hold them, without locks. */
export class FakeAbTestRepository extends AbTestRepository {
  readonly rows = new Map<string, AbTest>();
  /** Reads of running tests so far (the assignment cache's database round trips). */
  runningReads = 0;

  insert(_tx: Tx, test: AbTest): Promise<void> {
    if (this.rows.has(test.id)) return Promise.reject(new Error(`duplicate key: ab_tests ${test.id}`));
    this.rows.set(test.id, copy(test));
    return Promise.resolve();
  }

  findById(id: string): Promise<AbTest | null> {
    const row = this.rows.get(id);
    return Promise.resolve(row ? copy(row) : null);
  }

  findForUpdate(_tx: Tx, id: string): Promise<AbTest | null> {
    return this.findById(id);
  }

  update(_tx: Tx, id: string, changes: Partial<AbTest>): Promise<void> {
    const row = this.rows.get(id);
    if (row) Object.assign(row, structuredClone(changes));
    return Promise.resolve();
  }

  list(filter: AbTestFilter): Promise<{ items: AbTest[]; total: number }> {
    const matching = [...this.rows.values()]
      .filter((t) => (filter.modelType === undefined || t.modelType === filter.modelType) && (filter.status === undefined || t.status === filter.status))
      .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return Promise.resolve({ items: matching.slice(filter.offset, filter.offset + filter.limit).map(copy), total: matching.length });
  }

  findOtherRunning(modelType: string, exceptId: string): Promise<RunningTestSummary | null> {
    const other = [...this.rows.values()].find((t) => t.modelType === modelType && t.id !== exceptId && RUNNING_STATUSES.includes(t.status));
    return Promise.resolve(other ? { id: other.id, name: other.name, status: other.status } : null);
  }

  findRunning(modelTypes: readonly string[]): Promise<RunningTestRow[]> {
    this.runningReads++;
    const rows = [...this.rows.values()]
      .filter((t) => modelTypes.includes(t.modelType) && (t.status === 'active' || t.status === 'paused'))
      .map((t) => ({
        id: t.id,
        model_type: t.modelType,
        status: t.status as 'active' | 'paused',
        variant_a: t.variantA,
        variant_b: t.variantB,
        traffic_split: { ...t.trafficSplit },
        split_version: t.splitVersion,
        hash_seed: t.hashSeed,
        mode: t.mode,
        shadow_sample_rate: t.shadowSampleRate,
      }));
    return Promise.resolve(rows);
  }

  findGuarded(id: string): Promise<GuardedTest | null> {
    const t = this.rows.get(id);
    return Promise.resolve(t ? { status: t.status, autoPause: t.autoPause, criteria: structuredClone(t.criteria) } : null);
  }

  lockForRecording(_tx: Tx, id: string): Promise<RecordingTest | null> {
    const t = this.rows.get(id);
    return Promise.resolve(t ? { status: t.status, mode: t.mode, variantA: t.variantA, variantB: t.variantB } : null);
  }

  lockRecordingTests(_tx: Tx, ids: readonly string[], mode?: AbTestMode): Promise<RecordingTestVersions[]> {
    const found: RecordingTestVersions[] = [];
    for (const id of [...ids].sort()) {
      const t = this.rows.get(id);
      if (t && RUNNING_STATUSES.includes(t.status) && (mode === undefined || t.mode === mode)) found.push({ id, variantA: t.variantA, variantB: t.variantB });
    }
    return Promise.resolve(found);
  }
}

function copy(test: AbTest): AbTest {
  return Object.assign(new AbTest(), structuredClone({ ...test }));
}

/** A test row for unit specs: a 50/50 draft of model type `mt` unless `overrides` say otherwise. */
export function buildAbTestRow(overrides: Partial<AbTest> & { id: string }): AbTest {
  const now = new Date('2026-12-01T00:00:00Z');
  return Object.assign(new AbTest(), {
    name: overrides.id,
    description: null,
    modelType: 'mt',
    variantA: 'v1.0.0',
    variantB: 'v2.0.0',
    trafficSplit: { a: 0.5, b: 0.5 },
    splitVersion: 1,
    splitHistory: [{ version: 1, a: 0.5, b: 0.5, since: now.toISOString() }],
    status: 'draft' as const,
    criteria: {},
    hashSeed: overrides.id,
    metricDefinitions: [],
    autoPause: false,
    mode: 'ab' as const,
    shadowSampleRate: null,
    sourceTestId: null,
    metrics: null,
    winner: null,
    notes: null,
    startDate: null,
    endDate: null,
    createdBy: 'spec',
    createdAt: now,
    updatedAt: now,
    ...overrides,
  });
}
