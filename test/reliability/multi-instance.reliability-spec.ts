import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';
import { filesUnder } from '../support/model-artifacts.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TestTokens } from '../support/tokens.js';
import { addTotals, call, explainedBy, metricBatch, sleep, startAbTest, storedTotals, zeroTotals, type MetricTotals } from './support/load.js';

const LOAD_MS = 3000;
const KILL_AFTER_MS = 1200;

/**
 * Three instances of the compiled service on one PostgreSQL, nothing else shared: the third starts
 * with an empty DATA_DIR (it serves the models from PostgreSQL). Requests are spread across them;
 * one is killed with SIGKILL under load. No acknowledged assignment, metric batch or prediction is
 * lost, and every user has one variant whichever instance answers.
 */
describe('three instances, one killed under load', () => {
  const secret = randomBytes(32).toString('hex');
  const tokens = new TestTokens(secret);
  const service = { authorization: `Bearer ${tokens.service}` };
  const admin = { authorization: `Bearer ${tokens.admin}` };
  const dataDirs = ['a', 'b', 'c'].map((name) => path.join(inject('testTmpDir'), `multi-${name}-${randomBytes(4).toString('hex')}`));
  let database: { url: string; drop: () => Promise<void> };
  let client: pg.Client;
  const instances: ServerProcess[] = [];
  let safetyTest: string;
  let metricsTest: string;

  /** user → the variant an answer (variant route or safety check) gave them. */
  const assigned = new Map<string, string>();
  /** Users whose first request got no answer (it may or may not have been stored). */
  const unknownUsers = new Set<string>();
  const acknowledged = zeroTotals();
  const unknownBatches: MetricTotals[] = [];
  /** prediction id → {user, variant} of every acknowledged safety check. */
  const predictions = new Map<string, { user: string; variant: string }>();
  const figures = { variants: 0, twoInstanceAnswers: 0, batches: 0, events: 0, checks: 0, checksByEmptyDataDir: 0, lostAnswers: 0, disagreements: 0 };

  beforeAll(async () => {
    database = await createTestDatabase(inject('adminDatabaseUrl'));
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const env = (dataDir: string) => ({
      DATABASE_URL: database.url,
      JWT_SECRET: secret,
      DATA_DIR: dataDir,
      RATE_LIMIT_WRITES_PER_MINUTE: '0',
      RATE_LIMIT_SERVICE_WRITES_PER_MINUTE: '0',
      LOG_LEVEL: 'info',
    });
    // The first registers the example models (their artifacts go into PostgreSQL); then the others.
    instances.push(await startServerProcess(env(dataDirs[0]!)));
    instances.push(...(await Promise.all([startServerProcess(env(dataDirs[1]!)), startServerProcess(env(dataDirs[2]!))])));
    safetyTest = await startAbTest(instances[0]!.url, admin, 'multi-instance safety', 'safety_classifier');
    metricsTest = await startAbTest(instances[1]!.url, admin, 'multi-instance metrics', 'intent_classifier');
  });

  afterAll(async () => {
    console.log(
      `[reliability] multi-instance: ${figures.variants} variant answers (${figures.twoInstanceAnswers} users asked on two instances at once, ${figures.disagreements} disagreements), ` +
        `${figures.batches} metric batches (${figures.events} events), ${figures.checks} safety checks (${figures.checksByEmptyDataDir} by the instance with an empty DATA_DIR), ` +
        `${figures.lostAnswers} answers lost to the SIGKILL; every acknowledged write found`,
    );
    for (const server of instances) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    }
    await client?.end();
    await database?.drop();
  });

  it('spreads load over three instances, kills one: nothing acknowledged is lost, every user keeps one variant', async () => {
    const [, victim, emptyDataDir] = instances as [ServerProcess, ServerProcess, ServerProcess];
    expect(await filesUnder(path.join(dataDirs[2]!, 'artifacts', 'sha256'))).toEqual([]);
    let alive = [...instances];
    let stopped = false;
    let next = 0;
    const pick = () => alive[next++ % alive.length]!;
    let userNumber = 0;
    let seed = 1 + Math.floor(Math.random() * 1e6);

    const variantWorker = async () => {
      while (!stopped) {
        const user = `mi-user-${userNumber++}`;
        // Every fifth new user is asked on two instances at the same moment.
        const targets = userNumber % 5 === 0 ? [pick(), pick()] : [pick()];
        const answers = await Promise.all(
          targets.map((server) => call(server.url, 'GET', `/api/v1/ab-tests/user/variant?model_type=safety_classifier&user_id=${user}`, { headers: service })),
        );
        const variants = new Set<string>();
        for (const answer of answers) {
          if (answer.status === 200) variants.add((answer.json as { variant: string }).variant);
          else if (answer.status === undefined) figures.lostAnswers++;
          else throw new Error(`a variant request got ${answer.status}: ${answer.text}`);
        }
        if (variants.size > 1) figures.disagreements++;
        if (variants.size === 0) unknownUsers.add(user);
        else {
          assigned.set(user, [...variants][0]!);
          figures.variants++;
          if (answers.length === 2 && answers.every((a) => a.status === 200)) figures.twoInstanceAnswers++;
        }
      }
    };
    const batchWorker = async () => {
      while (!stopped) {
        const batch = metricBatch(100 + Math.floor(Math.random() * 200), seed++);
        const outcome = await call(pick().url, 'POST', `/api/v1/ab-tests/${metricsTest}/metrics`, { headers: service, body: { events: batch.events } });
        if (outcome.status === 200) {
          addTotals(acknowledged, batch.totals);
          figures.batches++;
          figures.events += batch.events.length;
        } else if (outcome.status === undefined) {
          unknownBatches.push(batch.totals);
          figures.lostAnswers++;
        } else {
          throw new Error(`a metric batch got ${outcome.status}: ${outcome.text}`);
        }
      }
    };
    const safetyWorker = async () => {
      while (!stopped) {
        const user = `mi-safety-${userNumber++}`;
        const server = pick();
        const outcome = await call(server.url, 'POST', '/api/v1/safety/check', { headers: { authorization: `Bearer ${tokens.user(user)}` }, body: { text: 'hello, is my order on its way?' } });
        if (outcome.status === 200) {
          const body = outcome.json as { prediction_id: string; variant: string; ab_test_id: string };
          expect(body.ab_test_id).toBe(safetyTest);
          predictions.set(body.prediction_id, { user, variant: body.variant });
          assigned.set(user, body.variant);
          figures.checks++;
          if (server === emptyDataDir) figures.checksByEmptyDataDir++;
        } else if (outcome.status === undefined) {
          unknownUsers.add(user);
          figures.lostAnswers++;
        } else {
          throw new Error(`a safety check got ${outcome.status}: ${outcome.text}`);
        }
      }
    };

    const workers = [...Array.from({ length: 4 }, variantWorker), ...Array.from({ length: 4 }, batchWorker), ...Array.from({ length: 3 }, safetyWorker)];
    await sleep(KILL_AFTER_MS);
    const before = { variants: figures.variants, batches: figures.batches, checks: figures.checks };
    victim.child.kill('SIGKILL');
    alive = alive.filter((server) => server !== victim);
    await sleep(LOAD_MS - KILL_AFTER_MS);
    stopped = true;
    await Promise.all(workers);
    expect(await victim.exited).toBe('SIGKILL');

    // Load ran on both sides of the kill, and the instance that started without artifacts served models.
    expect(before.variants).toBeGreaterThan(0);
    expect(figures.variants).toBeGreaterThan(before.variants);
    expect(figures.batches).toBeGreaterThan(before.batches);
    expect(figures.checks).toBeGreaterThan(before.checks);
    expect(figures.checksByEmptyDataDir).toBeGreaterThan(0);
    expect(figures.disagreements).toBe(0);

    // Assignments: every acknowledged one stored as answered; nothing for users never asked about.
    const { rows } = await client.query<{ user_id: string; variant: string }>('SELECT user_id, variant::text AS variant FROM ab_test_assignments WHERE ab_test_id = $1', [safetyTest]);
    const stored = new Map(rows.map((row) => [row.user_id, row.variant]));
    for (const [user, variant] of assigned) expect(stored.get(user), user).toBe(variant);
    for (const user of stored.keys()) expect(assigned.has(user) || unknownUsers.has(user), `unexpected assignment for ${user}`).toBe(true);

    // Metric batches: the acknowledged ones plus whole batches whose answer was lost, nothing else.
    const totals = await storedTotals(client, metricsTest);
    expect(explainedBy(totals, acknowledged, unknownBatches), `stored ${JSON.stringify(totals)} vs acknowledged ${JSON.stringify(acknowledged)}`).toBe(true);

    // Predictions: every acknowledged one stored, with the user and variant it was answered with.
    const ids = [...predictions.keys()];
    const storedPredictions = await client.query<{ id: string; user_id: string; variant: string }>('SELECT id, user_id, variant FROM predictions WHERE id = ANY($1::uuid[])', [ids]);
    expect(storedPredictions.rows.length).toBe(ids.length);
    for (const row of storedPredictions.rows) expect({ user: row.user_id, variant: row.variant }).toEqual(predictions.get(row.id));

    // Every user, asked again on each surviving instance, gets the variant they had.
    const users = [...assigned.keys(), ...unknownUsers];
    for (const server of alive) {
      for (let i = 0; i < users.length; i += 50) {
        const answers = await Promise.all(
          users.slice(i, i + 50).map((user) => call(server.url, 'GET', `/api/v1/ab-tests/user/variant?model_type=safety_classifier&user_id=${user}`, { headers: service })),
        );
        answers.forEach((answer, j) => {
          const user = users[i + j]!;
          expect(answer.status, answer.text).toBe(200);
          const variant = (answer.json as { variant: string }).variant;
          expect(variant, `${user} on ${server.url}`).toBe(assigned.get(user) ?? stored.get(user) ?? variant);
          if (!assigned.has(user)) assigned.set(user, variant);
        });
      }
    }
  });
});
