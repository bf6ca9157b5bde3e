import { describe, expect, it } from 'vitest';
import type { Change } from '../../../database/change-feed.service.js';
import { FakeChangeFeed } from '../../../database/fake-change-feed.js';
import type { ModelTypesService } from '../../model-registry/model-types.service.js';
import type { ModelVersionsService } from '../../model-registry/model-versions.service.js';
import type { RunningTestRow } from '../ab-test.repository.js';
import type { AbTestsConfig } from '../ab-tests.config.js';
import type { AbTest } from '../entities/ab-test.entity.js';
import { buildAbTestRow, FakeAbTestRepository } from '../fake-ab-test.repository.js';
import { ActiveTestsCache } from './active-tests.cache.js';

/** The tests' table, whose answers the test releases one at a time, to order reads against invalidations. */
class FakeDatabase extends FakeAbTestRepository {
  status: 'active' | 'paused' | null = 'active';
  reads = 0;
  private gates: Array<() => void> = [];
  holdReads = false;

  override async findRunning(modelTypes: readonly string[]): Promise<RunningTestRow[]> {
    this.reads++;
    // what the database holds when the read starts
    if (this.status === null) this.rows.delete('t1');
    else this.rows.set('t1', runningTest(this.status));
    const snapshot = await super.findRunning(modelTypes);
    if (this.holdReads) await new Promise<void>((resolve) => this.gates.push(resolve));
    return snapshot;
  }

  releaseAll(): void {
    const gates = this.gates;
    this.gates = [];
    for (const open of gates) open();
  }
}

function runningTest(status: 'active' | 'paused'): AbTest {
  return buildAbTestRow({ id: 't1', variantA: 'v1', variantB: 'v2', status, hashSeed: 's', startDate: new Date() });
}

function build(database: FakeDatabase): { cache: ActiveTestsCache; emit: (change: Change) => void } {
  const feed = new FakeChangeFeed();
  const modelTypes = { isRegisteredModelType: async (name: string) => name === 'mt' } as unknown as ModelTypesService;
  const modelVersions = { getProductionVersion: async () => ({ version: 'v1' }) } as unknown as ModelVersionsService;
  const cache = new ActiveTestsCache(database, modelTypes, modelVersions, feed, { assignmentCacheRefreshMs: 3_600_000 } as AbTestsConfig);
  cache.onModuleInit();
  return { cache, emit: (change) => feed.emit(change) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ActiveTestsCache', () => {
  it('reads a model type once, then answers from memory', async () => {
    const db = new FakeDatabase();
    const { cache } = build(db);
    const [first, second] = await Promise.all([cache.get('mt'), cache.get('mt')]);
    expect(first).toBe(second);
    expect(cache.peek('mt')?.test?.status).toBe('active');
    expect(db.reads).toBe(1);
    cache.onModuleDestroy();
  });

  it('a model type the registry does not know routes nowhere and is neither read nor cached', async () => {
    const db = new FakeDatabase();
    const { cache } = build(db);
    for (const name of ['junk_1', 'junk_2', 'Not A Type']) expect(await cache.get(name)).toEqual({ modelType: name, test: null, production: null });
    expect(db.reads).toBe(0);
    expect(cache.cachedModelTypes).toBe(0);
    await cache.get('mt');
    expect(cache.cachedModelTypes).toBe(1);
    cache.onModuleDestroy();
  });

  it('after an invalidation, readers wait for the fresh state', async () => {
    const db = new FakeDatabase();
    const { cache, emit } = build(db);
    await cache.get('mt');
    db.status = 'paused';
    emit({ topic: 'ab_tests', key: 'mt' });
    expect(cache.peek('mt')).toBeUndefined();
    expect((await cache.get('mt')).test?.status).toBe('paused');
    cache.onModuleDestroy();
  });

  it('a read that started before an invalidation never installs its stale answer', async () => {
    const db = new FakeDatabase();
    const { cache } = build(db);
    db.holdReads = true;
    const pending = cache.get('mt'); // reads "active"
    await tick();
    db.status = null; // the test completes…
    cache.invalidate('mt'); // …and we hear of it while the first read is still in flight
    await tick();
    db.holdReads = false;
    db.releaseAll();
    const routing = await pending;
    expect(routing.test).toBeNull();
    expect(routing.production?.version).toBe('v1');
    expect(cache.peek('mt')?.test).toBeNull();
    cache.onModuleDestroy();
  });

  it('keeps a running test’s sticky-assignment memory across reloads, drops it with the test', async () => {
    const db = new FakeDatabase();
    const { cache, emit } = build(db);
    const before = (await cache.get('mt')).test!;
    before.assigned.set('alice', 'b');
    emit({ topic: 'ab_tests', key: 'mt' });
    const after = (await cache.get('mt')).test!;
    expect(after).not.toBe(before);
    expect(after.assigned.get('alice')).toBe('b');
    db.status = null;
    emit({ topic: '*' });
    expect((await cache.get('mt')).test).toBeNull();
    cache.onModuleDestroy();
  });

  it('does not cache names that are not model types', async () => {
    const db = new FakeDatabase();
    const { cache } = build(db);
    expect(await cache.get('Not A Type')).toEqual({ modelType: 'Not A Type', test: null, production: null });
    expect(db.reads).toBe(0);
    cache.onModuleDestroy();
  });
});
