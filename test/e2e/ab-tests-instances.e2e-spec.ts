import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Change } from '../../src/database/change-feed.service.js';
import { bearer, createAbTest, registerModelType } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface Variant {
  ab_test_id: string | null;
  variant: 'a' | 'b' | null;
  model_version: string;
}

/**
 * Two (and three) instances of the service on one database, as behind a load balancer. Changes made
 * through one instance must be served by the others within a second.
 */
describe('A/B tests across instances', () => {
  let first: TestApp;
  /** Periodic re-read effectively off: only LISTEN/NOTIFY can tell it about changes. */
  let second: TestApp;
  /** Notifications never reach it (it unsubscribes): only the periodic re-read can. */
  let third: TestApp;
  /** Each case owns a model type (a completion with promote archives the old production version). */
  let modelType: string;

  beforeAll(async () => {
    first = await createTestApp({ ASSIGNMENT_CACHE_REFRESH_MS: '3600000' });
    const shared = { database: { url: first.databaseUrl }, jwtSecret: first.tokens.secret };
    second = await createTestApp({ ASSIGNMENT_CACHE_REFRESH_MS: '3600000' }, shared);
    third = await createTestApp({ ASSIGNMENT_CACHE_REFRESH_MS: '200' }, shared);
  });
  beforeEach(async () => {
    modelType = await registerModelType(first, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }]);
  });
  afterAll(async () => {
    await third?.close();
    await second?.close();
    await first?.close();
  });

  const variantOn = async (app: TestApp, user: string): Promise<Variant> => {
    const res = await app.http().get('/api/v1/ab-tests/user/variant').query({ model_type: modelType, user_id: user }).set(bearer(first.tokens.service));
    expect(res.status).toBe(200);
    return res.body as Variant;
  };

  /** Polls until `check` passes; returns how long it took. */
  const within = async (ms: number, check: () => Promise<boolean>): Promise<number> => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > ms) throw new Error(`not observed within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return Date.now() - started;
  };

  const admin = () => bearer(first.tokens.admin);

  it('start, ramp, pause, resume and complete on one instance are served by the other within 1 s', async () => {
    // Every instance has the model type cached (production, no test).
    for (const app of [first, second]) expect(await variantOn(app, 'warm')).toMatchObject({ ab_test_id: null, variant: null, model_version: 'v1.0.0' });

    const testId = await createAbTest(first, { model_type: modelType, traffic_split: { a: 0, b: 1 } });
    await first.http().post(`/api/v1/ab-tests/${testId}/start`).set(admin()).expect(200);
    const startLag = await within(1000, async () => (await variantOn(second, 'x-1')).ab_test_id === testId);
    expect(await variantOn(second, 'x-1')).toEqual({ ab_test_id: testId, model_type: modelType, variant: 'b', model_version: 'v2.0.0' });

    await first.http().patch(`/api/v1/ab-tests/${testId}/traffic-split`).set(admin()).send({ a: 1, b: 0 }).expect(200);
    let n = 0;
    const rampLag = await within(1000, async () => (await variantOn(second, `ramp-${n++}`)).variant === 'a');
    expect((await variantOn(second, 'x-1')).variant).toBe('b'); // sticky across the ramp and the instance

    await first.http().post(`/api/v1/ab-tests/${testId}/pause`).set(admin()).expect(200);
    const pauseLag = await within(1000, async () => (await variantOn(second, 'x-1')).variant === 'a');

    await first.http().post(`/api/v1/ab-tests/${testId}/start`).set(admin()).expect(200);
    const resumeLag = await within(1000, async () => (await variantOn(second, 'x-1')).variant === 'b');

    await first.http().post(`/api/v1/ab-tests/${testId}/complete`).set(admin()).send({ winner: 'b', promote: true }).expect(200);
    const completeLag = await within(1000, async () => {
      const answer = await variantOn(second, 'x-1');
      return answer.ab_test_id === null && answer.model_version === 'v2.0.0';
    });
    console.log(`second instance lag (ms): start ${startLag}, ramp ${rampLag}, pause ${pauseLag}, resume ${resumeLag}, complete ${completeLag}`);
  });

  it('a start on the second instance is served by the first', async () => {
    const testId = await createAbTest(second, { model_type: modelType, variant_a: 'v2.0.0', variant_b: 'v1.0.0' });
    await second.http().post(`/api/v1/ab-tests/${testId}/start`).set(admin()).expect(200);
    await within(1000, async () => (await variantOn(first, 'y-1')).ab_test_id === testId);
    await second.http().post(`/api/v1/ab-tests/${testId}/complete`).set(admin()).send({ winner: null }).expect(200);
    await within(1000, async () => (await variantOn(first, 'y-1')).ab_test_id === null);
  });

  it('without notifications, the periodic re-read catches up', async () => {
    const { ActiveTestsCache } = await import('../../src/modules/ab-tests/assignment/active-tests.cache.js');
    const { ChangeFeed } = await import('../../src/database/change-feed.service.js');
    const cache = third.app.get(ActiveTestsCache) as unknown as { unsubscribe: unknown; onChange: (change: Change) => void };
    // The third instance's feed, watched by a listener of the test's own (public subscribe), and the
    // cache's handler: a change the feed delivers reaches the cache first (it subscribed first).
    const heard = vi.spyOn(cache, 'onChange');
    const delivered: Change[] = [];
    const stopWatching = third.app.get(ChangeFeed).subscribe((change) => delivered.push(change));
    const deliveredFor = (key: string) => within(2000, async () => delivered.some((change) => change.key === key));
    try {
      // Before the detach the cache hears a change (on a model type of its own).
      const otherType = await registerModelType(first, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }]);
      const other = await createAbTest(first, { model_type: otherType });
      await first.http().post(`/api/v1/ab-tests/${other}/start`).set(admin()).expect(200);
      await deliveredFor(otherType);
      expect(heard.mock.calls.some(([change]) => change.key === otherType)).toBe(true);

      // Detach the third instance's cache from the change feed, as if notifications were lost.
      expect(typeof cache.unsubscribe, 'ActiveTestsCache.unsubscribe').toBe('function');
      (cache.unsubscribe as () => void)();
      heard.mockClear();
      expect((await variantOn(third, 'z-1')).ab_test_id).toBeNull();
      const testId = await createAbTest(first, { model_type: modelType, traffic_split: { a: 0, b: 1 } });
      await first.http().post(`/api/v1/ab-tests/${testId}/start`).set(admin()).expect(200);
      // The feed delivered the start, and the cache no longer heard it.
      await deliveredFor(modelType);
      expect(heard).not.toHaveBeenCalled();
      await within(2000, async () => (await variantOn(third, 'z-1')).ab_test_id === testId);
      expect((await variantOn(third, 'z-1')).variant).toBe('b');
      await first.http().post(`/api/v1/ab-tests/${testId}/pause`).set(admin()).expect(200);
      await within(2000, async () => (await variantOn(third, 'z-1')).variant === 'a');
      await first.http().post(`/api/v1/ab-tests/${testId}/complete`).set(admin()).send({ winner: null }).expect(200);
      await first.http().post(`/api/v1/ab-tests/${other}/complete`).set(admin()).send({ winner: null }).expect(200);
    } finally {
      stopWatching();
      heard.mockRestore();
    }
  });
});
