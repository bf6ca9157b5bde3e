import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignVariant, hashV2 } from '../../src/modules/ab-tests/assignment/bucketing.js';
import { nextStatus, type AbTestStatus, type LifecycleAction } from '../../src/modules/ab-tests/lifecycle/lifecycle.js';
import { registerModelType } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { AnswerLedger, injectRequest, type Answer, type InjectRequest } from './support/responses.js';

interface StoredEvent {
  id: string;
  action: string;
  before: { status?: string; traffic_split?: { a: number; b: number }; split_version?: number } | null;
  after: { status?: string; traffic_split?: { a: number; b: number }; split_version?: number } | null;
}

/** What each audit action means to the state machine. */
const EVENT_ACTIONS: Record<string, LifecycleAction> = {
  started: 'start',
  resumed: 'start',
  paused: 'pause',
  completed: 'complete',
  traffic_split_changed: 'change_traffic_split',
};

/**
 * Races, on two instances of the service sharing one database (as behind a load balancer): a
 * thousand first requests of one user, and lifecycle changes fired at one test all at once.
 */
describe('concurrency', () => {
  const ledger = new AnswerLedger();
  let first: TestApp;
  let second: TestApp;
  let modelType: string;

  const send = async (app: TestApp, request: InjectRequest): Promise<Answer> => {
    const answer = await injectRequest(app.app, request);
    ledger.see(`${request.method} ${request.url}`, answer);
    return answer;
  };
  const admin = () => ({ authorization: `Bearer ${first.tokens.admin}` });
  const service = () => ({ authorization: `Bearer ${first.tokens.service}` });

  beforeAll(async () => {
    first = await createTestApp({ RATE_LIMIT_WRITES_PER_MINUTE: '0' });
    second = await createTestApp({ RATE_LIMIT_WRITES_PER_MINUTE: '0' }, { database: { url: first.databaseUrl }, jwtSecret: first.tokens.secret });
  });
  afterAll(async () => {
    console.log(`[reliability] concurrency: ${ledger.summary()}`);
    await second?.close();
    await first?.close();
  });

  async function runningTest(split = { a: 0.5, b: 0.5 }, extra: Record<string, unknown> = {}): Promise<string> {
    modelType = await registerModelType(first, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }], 'race');
    const created = await send(first, {
      method: 'POST',
      url: '/api/v1/ab-tests',
      headers: admin(),
      payload: { name: 'race', model_type: modelType, variant_a: 'v1.0.0', variant_b: 'v2.0.0', traffic_split: split, ...extra },
    });
    expect(created.status, created.text).toBe(201);
    const id = (created.json as { test_id: string }).test_id;
    expect((await send(first, { method: 'POST', url: `/api/v1/ab-tests/${id}/start`, headers: admin() })).status).toBe(200);
    return id;
  }

  it('1,000 concurrent first requests of one user, on two instances, with the split ramped mid-race: one assignment row, one variant', async () => {
    // A known seed, and a ramp that moves the racer's hash into the other variant's range: after
    // it, only the stored assignment still gives the first answer's variant.
    const seed = 'race-seed';
    const hash = hashV2(seed, 'racer');
    const initial = assignVariant(seed, 'racer', { a: 0.5, b: 0.5 });
    const aShare = initial === 'a' ? Math.floor(hash * 1000) / 1000 : Math.min(1, Math.ceil((hash + 1e-4) * 1000) / 1000);
    const ramp = { a: aShare, b: 1 - aShare };
    expect(assignVariant(seed, 'racer', ramp)).not.toBe(initial);

    const testId = await runningTest({ a: 0.5, b: 0.5 }, { hash_seed: seed });
    const url = (user: string) => `/api/v1/ab-tests/user/variant?model_type=${modelType}&user_id=${user}`;
    const ask = (app: TestApp) => send(app, { method: 'GET', url: url('racer'), headers: service() });
    // The first half on one instance; the second instance first hears of the racer after the ramp,
    // so its answers can only come from the stored row.
    const early = Array.from({ length: 500 }, () => ask(first));
    await Promise.race(early); // the racer has been answered (and so stored) under 50/50
    const ramped = await send(first, { method: 'PATCH', url: `/api/v1/ab-tests/${testId}/traffic-split`, headers: admin(), payload: ramp });
    expect(ramped.status, ramped.text).toBe(200);
    const late = Array.from({ length: 500 }, (_, i) => ask(i % 2 === 0 ? second : first));
    const answers = await Promise.all([...early, ...late]);
    expect(answers.map((a) => a.status)).toEqual(Array(1000).fill(200));
    const variants = new Set(answers.map((a) => (a.json as { variant: string }).variant));
    expect([...variants]).toEqual([initial]);
    const rows = (await first.dataSource.query('SELECT variant::text AS variant FROM ab_test_assignments WHERE ab_test_id = $1 AND user_id = $2', [testId, 'racer'])) as Array<{
      variant: string;
    }>;
    expect(rows).toEqual([{ variant: initial }]);
  });

  it('a burst of 1,000 new users, each asked for twice at once on both instances: one row each, the answers agree', async () => {
    const testId = await runningTest();
    const users = Array.from({ length: 1000 }, (_, i) => `burst-${i}`);
    const ask = (app: TestApp, user: string) => send(app, { method: 'GET', url: `/api/v1/ab-tests/user/variant?model_type=${modelType}&user_id=${user}`, headers: service() });
    const answers = await Promise.all(users.flatMap((user) => [ask(first, user), ask(second, user)]));
    expect(answers.filter((a) => a.status !== 200).map((a) => a.text)).toEqual([]);
    const stored = new Map(
      ((await first.dataSource.query('SELECT user_id, variant::text AS variant FROM ab_test_assignments WHERE ab_test_id = $1', [testId])) as Array<{ user_id: string; variant: string }>).map(
        (row) => [row.user_id, row.variant],
      ),
    );
    expect(stored.size).toBe(users.length);
    users.forEach((user, i) => {
      expect((answers[2 * i]!.json as { variant: string }).variant, user).toBe(stored.get(user));
      expect((answers[2 * i + 1]!.json as { variant: string }).variant, user).toBe(stored.get(user));
    });
  });

  it.each([1, 2, 3, 4, 5])('lifecycle race %i: concurrent start/pause/complete/ramp end in a state the event trail explains', async (round) => {
    const testId = await runningTest();
    type Op = { action: LifecycleAction; request: InjectRequest };
    const ops: Op[] = [];
    for (let i = 0; i < 40; i++) {
      const kind = (['start', 'pause', 'pause', 'start', 'change_traffic_split'] as const)[(i + round) % 5]!;
      // Each ramp asks for a split of its own, so every accepted one is a change (and an event).
      const split = { a: (100 + i) / 1000, b: (900 - i) / 1000 };
      ops.push({
        action: kind,
        request:
          kind === 'change_traffic_split'
            ? { method: 'PATCH', url: `/api/v1/ab-tests/${testId}/traffic-split`, headers: admin(), payload: split }
            : { method: 'POST', url: `/api/v1/ab-tests/${testId}/${kind}`, headers: admin() },
      });
    }
    // Completions land in the middle of the storm, from both instances.
    for (const winner of ['a', 'b', null]) {
      ops.splice(10 + ops.length / 4, 0, { action: 'complete', request: { method: 'POST', url: `/api/v1/ab-tests/${testId}/complete`, headers: admin(), payload: { winner } } });
    }
    const answers = await Promise.all(ops.map((op, i) => send(i % 2 === 0 ? first : second, op.request)));

    // Every answer is a success or a refused transition; nothing else.
    for (const [i, answer] of answers.entries()) {
      expect([200, 409], `${ops[i]!.action}: ${answer.text}`).toContain(answer.status);
      if (answer.status === 409) expect((answer.json as { code: string }).code).toBe('INVALID_TRANSITION');
    }
    const succeeded = (action: LifecycleAction) => answers.filter((a, i) => a.status === 200 && ops[i]!.action === action).length;
    expect(succeeded('complete'), 'exactly one completion wins').toBe(1);

    const [stored] = (await first.dataSource.query('SELECT status::text AS status, split_version, traffic_split, winner FROM ab_tests WHERE id = $1', [testId])) as Array<{
      status: AbTestStatus;
      split_version: number;
      traffic_split: { a: number; b: number };
      winner: string | null;
    }>;
    const events = (await first.dataSource.query('SELECT id, action, before, after FROM ab_test_events WHERE ab_test_id = $1 ORDER BY id', [testId])) as StoredEvent[];

    // Replay the trail through the state machine from the creation event.
    expect(events[0]!.action).toBe('created');
    let status: AbTestStatus = 'draft';
    let splitVersion = 1;
    let split = { a: 0.5, b: 0.5 };
    const counted: Record<string, number> = {};
    for (const event of events.slice(1)) {
      const action = EVENT_ACTIONS[event.action];
      expect(action, `event ${event.id} ${event.action}`).toBeDefined();
      const next = nextStatus(status, action!);
      expect(next, `event ${event.id} (${event.action}) is not a legal transition from ${status}`).not.toBeNull();
      if (action === 'change_traffic_split') {
        expect(event.before?.split_version, `event ${event.id}`).toBe(splitVersion);
        expect(event.before?.traffic_split).toEqual(split);
        splitVersion = event.after!.split_version!;
        split = event.after!.traffic_split!;
        expect(splitVersion).toBe(event.before!.split_version! + 1);
      } else {
        expect(event.before?.status, `event ${event.id}`).toBe(status);
        expect(event.after?.status, `event ${event.id}`).toBe(next);
      }
      status = next!;
      counted[action!] = (counted[action!] ?? 0) + 1;
    }
    expect(status, 'the replayed trail ends in the stored status').toBe(stored!.status);
    expect(stored!.status).toBe('completed');
    expect(splitVersion).toBe(stored!.split_version);
    expect(split).toEqual(stored!.traffic_split);
    // One event per accepted change, none for a refused one (the start that opened the test is the first).
    expect(counted.start ?? 0).toBe(succeeded('start') + 1);
    expect(counted.pause ?? 0).toBe(succeeded('pause'));
    expect(counted.complete ?? 0).toBe(1);
    expect(counted.change_traffic_split ?? 0).toBe(succeeded('change_traffic_split'));
    const completion = events.find((e) => e.action === 'completed')!;
    expect((completion.after as { winner?: string | null }).winner ?? null).toBe(stored!.winner);
  });

  it('every error answer seen here is the one error shape and leaks nothing', () => {
    expect(ledger.failures).toEqual([]);
  });
});
