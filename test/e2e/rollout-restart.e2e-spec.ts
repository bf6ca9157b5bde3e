import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TestTokens } from '../support/tokens.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const STEPS = [0.1, 0.2, 0.3, 0.4, 0.5];
/** More than a step's minimum time (step_min_seconds 3): a running instance would have taken the next step by then. */
const STEP_SECONDS_PLUS_MARGIN_MS = 3_500;

/**
 * The compiled service, several processes on one database: a rollout keeps going while an instance
 * is killed with -9 in the middle of it, while no instance runs at all, and after a restart; each
 * step is taken exactly once (one split change, one audit event, one log line across all instances).
 */
describe('a rollout across instances, kill -9 and a restart', () => {
  const secret = randomBytes(32).toString('hex');
  const tokens = new TestTokens(secret);
  const servers: ServerProcess[] = [];
  let database: { url: string; drop: () => Promise<void> };
  let client: pg.Client;
  let env: Record<string, string>;

  const start = async () => {
    const server = await startServerProcess(env);
    servers.push(server);
    return server;
  };
  const rollout = async (id: string) =>
    ((await client.query('SELECT current_step, state FROM ab_test_rollouts WHERE ab_test_id = $1', [id])).rows[0] ?? { current_step: -1, state: 'none' }) as { current_step: number; state: string };
  const until = async (what: string, check: () => Promise<boolean>, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
      await sleep(50);
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase(inject('adminDatabaseUrl'));
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    env = {
      DATABASE_URL: database.url,
      JWT_SECRET: secret,
      DATA_DIR: path.join(inject('testTmpDir'), `rollout-${randomBytes(4).toString('hex')}`),
      RATE_LIMIT_WRITES_PER_MINUTE: '0',
      ROLLOUT_CHECK_MS: '100',
      METRICS_FLUSH_MS: '100',
      LOG_LEVEL: 'info',
    };
  });

  afterAll(async () => {
    for (const server of servers) server.child.kill('SIGKILL');
    await client?.end();
    await database?.drop();
  });

  it('acts once per step', async () => {
    const first = await start();
    const second = await start();
    const admin = { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' };
    const created = await fetch(`${first.url}/api/v1/ab-tests`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        name: 'rollout across restarts',
        model_type: 'safety_classifier',
        variant_a: 'v1.0.0',
        variant_b: 'v2.0.0',
        // 3 s a step: long enough that the surviving instance cannot take step 4 while it is being
        // stopped after step 3, even on a loaded machine (at 1 s it did once).
        rollout: { steps: STEPS, step_min_seconds: 3, step_min_requests: 5 },
      }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { test_id: string }).test_id;
    expect((await fetch(`${first.url}/api/v1/ab-tests/${id}/start`, { method: 'POST', headers: { authorization: admin.authorization } })).status).toBe(200);

    // Traffic: a batch of healthy requests for both variants every 100 ms, to whichever instances live.
    const live = new Set<ServerProcess>([first, second]);
    /* Requests in flight per instance: a graceful stop waits for them, and for the kept-alive connection they leave open. */
    const inFlight = new Map<ServerProcess, Set<Promise<unknown>>>();
    const drain = async (server: ServerProcess) => {
      live.delete(server);
      await Promise.all([...(inFlight.get(server) ?? [])]);
    };
    let sending = true;
    const batch = JSON.stringify({ events: [...Array.from({ length: 5 }, () => ({ variant: 'a', latency_ms: 3 })), ...Array.from({ length: 5 }, () => ({ variant: 'b', latency_ms: 3 }))] });
    const traffic = (async () => {
      for (let n = 0; sending; n++) {
        const targets = [...live];
        const target = targets[n % Math.max(1, targets.length)];
        if (target) {
          const request = fetch(`${target.url}/api/v1/ab-tests/${id}/metrics`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tokens.service}`, 'content-type': 'application/json', connection: 'close' },
            body: batch,
          }).then((response) => response.arrayBuffer(), () => undefined);
          const pending = inFlight.get(target) ?? new Set<Promise<unknown>>();
          inFlight.set(target, pending.add(request));
          await request;
          pending.delete(request);
        }
        await sleep(100);
      }
    })();

    try {
      await until('step 2', async () => (await rollout(id)).current_step >= 2);
      live.delete(first);
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');

      await until('step 3 on the surviving instance', async () => (await rollout(id)).current_step >= 3);
      await drain(second);
      second.child.kill('SIGTERM');
      expect(await second.exited, second.output().slice(-4000)).toBe(0);
      const stalled = await rollout(id);
      await sleep(STEP_SECONDS_PLUS_MARGIN_MS);
      expect(await rollout(id)).toEqual(stalled); // nobody runs: nothing moves, though step 4 is due by now

      const restarted = await start();
      live.add(restarted);
      await until('the last step after the restart', async () => (await rollout(id)).state === 'holding');
      expect(await rollout(id)).toEqual({ current_step: 4, state: 'holding' });
      sending = false;
      await traffic;
      live.delete(restarted);
      restarted.child.kill('SIGTERM');
      expect(await restarted.exited, restarted.output().slice(-4000)).toBe(0);

      const { rows: events } = await client.query(`SELECT action, after FROM ab_test_events WHERE ab_test_id = $1 AND actor = 'rollout' ORDER BY id`, [id]);
      expect(events.map((e: { action: string }) => e.action)).toEqual(['traffic_split_changed', 'traffic_split_changed', 'traffic_split_changed', 'traffic_split_changed']);
      expect(events.map((e: { after: { rollout: { to_step: number } } }) => e.after.rollout.to_step)).toEqual([1, 2, 3, 4]);
      const { rows } = await client.query('SELECT split_version, split_history FROM ab_tests WHERE id = $1', [id]);
      expect(rows[0].split_version).toBe(5);
      expect(rows[0].split_history.map((entry: { version: number; b: number }) => [entry.version, entry.b])).toEqual(STEPS.map((share, i) => [i + 1, share]));

      // One log line per step across the instances, and the restarted one took the step after it came back.
      const steps = (server: ServerProcess) => (server.output().match(/rollout step \d → \d/g) ?? []).length;
      const perServer = [first, second, restarted].map(steps);
      expect(perServer.reduce((a, b) => a + b, 0)).toBe(4);
      expect(perServer[2]).toBeGreaterThanOrEqual(1);
      console.log(`[rollout] steps taken per instance: first (kill -9 at step ≥2) ${perServer[0]}, second (stopped at step ≥3) ${perServer[1]}, restarted ${perServer[2]}`);
    } finally {
      sending = false;
      await traffic;
    }
  });
});
