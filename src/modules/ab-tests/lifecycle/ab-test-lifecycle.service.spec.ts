import { describe, expect, it } from 'vitest';
import { FakeChangeFeed } from '../../../database/fake-change-feed.js';
import { FakeTransactions, type Tx } from '../../../database/transactions.js';
import type { ModelStagesService } from '../../model-registry/model-stages.service.js';
import type { ModelVersionsService } from '../../model-registry/model-versions.service.js';
import type { ActiveTestsCache } from '../assignment/active-tests.cache.js';
import type { AbTest } from '../entities/ab-test.entity.js';
import { buildAbTestRow, FakeAbTestRepository } from '../fake-ab-test.repository.js';
import type { AbTestCompletionHook } from '../metrics-ports.js';
import { AbTestLifecycleService } from './ab-test-lifecycle.service.js';
import { FakeAbTestEventRepository } from './fake-ab-test-event.repository.js';

function draft(id: string): AbTest {
  return buildAbTestRow({ id });
}

function build() {
  const tests = new FakeAbTestRepository();
  const events = new FakeAbTestEventRepository();
  const transactions = new FakeTransactions();
  const invalidated: string[] = [];
  const promoted: unknown[] = [];
  const completing: Array<{ testId: string; tx: Tx }> = [];
  const modelVersions = {
    findVersion: (modelType: string, version: string) => Promise.resolve({ modelType, version, stage: 'staging' }),
    listUsableVersionNames: () => Promise.resolve([]),
  } as unknown as ModelVersionsService;
  const modelStages = { promoteVersion: (options: unknown) => (promoted.push(options), Promise.resolve({})) } as unknown as ModelStagesService;
  const feed = new FakeChangeFeed();
  const cache = { invalidate: (modelType: string) => invalidated.push(modelType) } as unknown as ActiveTestsCache;
  const hook: AbTestCompletionHook = {
    beforeTestCompletes: () => Promise.resolve(),
    onTestCompleting: (testId, tx) => (completing.push({ testId, tx }), Promise.resolve()),
  };
  const lifecycle = new AbTestLifecycleService(transactions, tests, events, modelVersions, modelStages, feed, cache, hook);
  return { lifecycle, tests, events, transactions, published: feed.publishedKeys, invalidated, promoted, completing };
}

describe('AbTestLifecycleService', () => {
  it('start: one transaction updates the row, appends the audit event, publishes, then invalidates the cache', async () => {
    const { lifecycle, tests, events, transactions, published, invalidated } = build();
    tests.rows.set('t1', draft('t1'));
    const started = await lifecycle.startTest('t1', 'admin');
    expect(started.status).toBe('active');
    expect(tests.rows.get('t1')!.status).toBe('active');
    expect(events.events.map((e) => [e.action, e.actor])).toEqual([['started', 'admin']]);
    expect(transactions.opened).toBe(1);
    expect(published).toEqual(['mt']);
    expect(invalidated).toEqual(['mt']);
  });

  it('start is refused while another test of the model type runs', async () => {
    const { lifecycle, tests, events } = build();
    tests.rows.set('t1', Object.assign(draft('t1'), { status: 'active' as const }));
    tests.rows.set('t2', draft('t2'));
    await expect(lifecycle.startTest('t2', 'admin')).rejects.toMatchObject({ code: 'AB_TEST_ALREADY_RUNNING', details: { other_test_id: 't1' } });
    expect(tests.rows.get('t2')!.status).toBe('draft');
    expect(events.events).toEqual([]);
  });

  it('an unknown test is AB_TEST_NOT_FOUND; a transition the state machine forbids is INVALID_TRANSITION', async () => {
    const { lifecycle, tests } = build();
    await expect(lifecycle.pauseTest('nope', 'admin')).rejects.toMatchObject({ code: 'AB_TEST_NOT_FOUND' });
    tests.rows.set('t1', draft('t1'));
    await expect(lifecycle.pauseTest('t1', 'admin')).rejects.toMatchObject({ code: 'INVALID_TRANSITION', details: { allowed_actions: ['start', 'change_traffic_split'] } });
  });

  it('complete with promote: the completion hook and the promotion run in the completing transaction', async () => {
    const { lifecycle, tests, promoted, completing } = build();
    tests.rows.set('t1', Object.assign(draft('t1'), { status: 'active' as const }));
    const done = await lifecycle.completeTest('t1', { winner: 'b', promote: true }, 'admin');
    expect(done).toMatchObject({ status: 'completed', winner: 'b' });
    expect(completing).toHaveLength(1);
    expect(promoted).toEqual([{ modelType: 'mt', version: 'v2.0.0', stage: 'production', actor: 'admin', tx: completing[0]!.tx }]);
  });

  it('a ramp to the same split changes nothing and records nothing', async () => {
    const { lifecycle, tests, events, published } = build();
    tests.rows.set('t1', Object.assign(draft('t1'), { status: 'active' as const }));
    await lifecycle.changeTrafficSplit('t1', { a: 0.5, b: 0.5 }, 'admin');
    expect(events.events).toEqual([]);
    expect(published).toEqual([]);
    await lifecycle.changeTrafficSplit('t1', { a: 0.2, b: 0.8 }, 'admin');
    expect(tests.rows.get('t1')).toMatchObject({ splitVersion: 2, trafficSplit: { a: 0.2, b: 0.8 } });
    expect(events.events.map((e) => e.action)).toEqual(['traffic_split_changed']);
  });
});
