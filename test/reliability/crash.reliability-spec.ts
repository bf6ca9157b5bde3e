import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { assignVariant, type TrafficSplit } from '../../src/modules/ab-tests/assignment/bucketing.js';
import { TestTokens } from '../support/tokens.js';
import { addTotals, call, explainedBy, metricBatch, sleep, startAbTest, storedTotals, zeroTotals, type MetricTotals } from './support/load.js';

const ROUNDS = 2;
const LOAD_MS = 1500;
/*
 * The split each round ramps to just before its kill. The hash then sends many earlier users to
 * the other variant, so after the restart only their stored rows give the answers they had.
 */
const RAMPS: readonly TrafficSplit[] = [
  { a: 0.1, b: 0.9 },
  { a: 0.9, b: 0.1 },
];

/**
 * kill -9 of the compiled service under a load of metric batches and first variant requests: every
 * acknowledged event and assignment is in PostgreSQL after the restart, nothing is stored half, and
 * no user's variant changes.
 */
describe('crash (kill -9 under load)', () => {
  const secret = randomBytes(32).toString('hex');
  const tokens = new TestTokens(secret);
  const servers: ServerProcess[] = [];
  let database: { url: string; drop: () => Promise<void> };
  let client: pg.Client;
  let env: Record<string, string>;
  let testId: string;

  const acknowledged = zeroTotals();
  const unknownBatches: MetricTotals[] = [];
  const assigned = new Map<string, string>();
  const unknownUsers = new Set<string>();
  const figures = { batchesAcknowledged: 0, eventsAcknowledged: 0, usersAcknowledged: 0, inFlightAtKill: 0, movedByRamp: 0, kills: 0, verifiedRestarts: 0 };

  const start = async () => {
    const server = await startServerProcess(env);
    servers.push(server);
    return server;
  };
  const service = { authorization: `Bearer ${tokens.service}` };
  const admin = { authorization: `Bearer ${tokens.admin}` };

  beforeAll(async () => {
    database = await createTestDatabase(inject('adminDatabaseUrl'));
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    env = {
      DATABASE_URL: database.url,
      JWT_SECRET: secret,
      DATA_DIR: path.join(inject('testTmpDir'), `crash-${randomBytes(4).toString('hex')}`),
      RATE_LIMIT_WRITES_PER_MINUTE: '0',
      LOG_LEVEL: 'info',
    };
    const server = await start();
    testId = await startAbTest(server.url, admin, 'crash', 'safety_classifier');
  });

  afterAll(async () => {
    console.log(
      `[reliability] crash: ${figures.kills} kill -9 under load; acknowledged ${figures.batchesAcknowledged} batches (${figures.eventsAcknowledged} events) and ` +
        `${figures.usersAcknowledged} first assignments; ${figures.inFlightAtKill} requests in flight at the kills; ` +
        `${figures.movedByRamp} users kept their variant only through their stored row (the split was ramped before each kill); ` +
        `${figures.verifiedRestarts} of ${figures.kills} restarts verified: every acknowledged event and assignment found, no variant changed`,
    );
    for (const server of servers) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    }
    await client?.end();
    await database?.drop();
  });

  /**
   * Load for `stopAfterMs`, ramp the split, then stop issuing and kill with requests in flight:
   * metric batches and first variant requests, each request's fate in the ledger.
   */
  async function load(base: string, stopAfterMs: number, ramp: TrafficSplit, kill: () => void): Promise<void> {
    let stopped = false;
    let seed = Math.floor(Math.random() * 1e9);
    let userNumber = assigned.size + unknownUsers.size;
    const batchWorker = async () => {
      while (!stopped) {
        const batch = metricBatch(100 + Math.floor(Math.random() * 400), seed++);
        const outcome = await call(base, 'POST', `/api/v1/ab-tests/${testId}/metrics`, { headers: service, body: { events: batch.events } });
        if (outcome.status === 200) {
          addTotals(acknowledged, batch.totals);
          figures.batchesAcknowledged++;
          figures.eventsAcknowledged += batch.events.length;
        } else if (outcome.status === undefined) {
          unknownBatches.push(batch.totals);
          if (outcome.error !== 'ECONNREFUSED') figures.inFlightAtKill++;
        } else {
          throw new Error(`a metric batch got ${outcome.status}: ${outcome.text}`);
        }
      }
    };
    const variantWorker = async () => {
      while (!stopped) {
        const user = `crash-user-${userNumber++}`;
        const outcome = await call(base, 'GET', `/api/v1/ab-tests/user/variant?model_type=safety_classifier&user_id=${user}`, { headers: service });
        if (outcome.status === 200) {
          assigned.set(user, (outcome.json as { variant: string }).variant);
          figures.usersAcknowledged++;
        } else if (outcome.status === undefined) {
          unknownUsers.add(user);
          if (outcome.error !== 'ECONNREFUSED') figures.inFlightAtKill++;
        } else {
          throw new Error(`a variant request got ${outcome.status}: ${outcome.text}`);
        }
      }
    };
    const workers = [...Array.from({ length: 6 }, batchWorker), ...Array.from({ length: 6 }, variantWorker)];
    await sleep(stopAfterMs);
    const ramped = await call(base, 'PATCH', `/api/v1/ab-tests/${testId}/traffic-split`, { headers: admin, body: ramp });
    expect(ramped.status, ramped.text).toBe(200);
    stopped = true;
    kill();
    await Promise.all(workers);
  }

  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))('round %i: everything acknowledged before the kill is there after the restart', async (round) => {
    const server = servers.at(-1)!;
    const before = { batches: figures.batchesAcknowledged, users: figures.usersAcknowledged, inFlight: figures.inFlightAtKill };
    const ramp = RAMPS[round - 1]!;
    await load(server.url, LOAD_MS, ramp, () => {
      server.child.kill('SIGKILL');
      figures.kills++;
    });
    expect(await server.exited).toBe('SIGKILL');
    expect(figures.batchesAcknowledged, 'batches acknowledged in this round').toBeGreaterThan(before.batches);
    expect(figures.usersAcknowledged, 'first assignments acknowledged in this round').toBeGreaterThan(before.users);
    // The kill interrupted requests (reset, not refused): it was a crash under load, not after it.
    expect(figures.inFlightAtKill, 'requests in flight at the kill').toBeGreaterThan(before.inFlight);

    const restarted = await start();

    // Metric events: everything acknowledged, plus whole batches whose answer was lost, nothing else.
    const minutes = await storedTotals(client, testId);
    expect(explainedBy(minutes, acknowledged, unknownBatches), `stored ${JSON.stringify(minutes)} vs acknowledged ${JSON.stringify(acknowledged)}`).toBe(true);
    expect(await storedTotals(client, testId, 'metric_rollups')).toEqual(minutes);
    // What is stored now is the baseline of the next round (the lost answers are settled either way).
    Object.assign(acknowledged, minutes);
    unknownBatches.length = 0;

    // Assignments: every acknowledged one stored as answered; no row for anyone never asked about.
    const { rows } = await client.query<{ user_id: string; variant: string }>('SELECT user_id, variant::text AS variant FROM ab_test_assignments WHERE ab_test_id = $1', [testId]);
    const stored = new Map(rows.map((row) => [row.user_id, row.variant]));
    for (const [user, variant] of assigned) expect(stored.get(user), user).toBe(variant);
    for (const user of stored.keys()) expect(assigned.has(user) || unknownUsers.has(user), `unexpected assignment for ${user}`).toBe(true);

    // And the restarted service answers every user as before (or as stored, for the unanswered ones).
    // Under the ramped split the hash alone would give many of them the other variant: only their
    // stored rows can keep their answers.
    const movedByRamp = [...assigned].filter(([user, variant]) => assignVariant(testId, user, ramp) !== variant).length;
    expect(movedByRamp, 'acknowledged users the ramped split would send elsewhere').toBeGreaterThan(0);
    figures.movedByRamp += movedByRamp;
    const users = [...assigned.keys(), ...unknownUsers];
    for (let i = 0; i < users.length; i += 50) {
      const answers = await Promise.all(
        users.slice(i, i + 50).map((user) => call(restarted.url, 'GET', `/api/v1/ab-tests/user/variant?model_type=safety_classifier&user_id=${user}`, { headers: service })),
      );
      answers.forEach((answer, j) => {
        const user = users[i + j]!;
        expect(answer.status, answer.text).toBe(200);
        const variant = (answer.json as { variant: string }).variant;
        expect(variant, user).toBe(assigned.get(user) ?? stored.get(user) ?? variant);
        if (!assigned.has(user)) assigned.set(user, variant);
      });
    }
    unknownUsers.clear();
    figures.verifiedRestarts++;
  });
});
