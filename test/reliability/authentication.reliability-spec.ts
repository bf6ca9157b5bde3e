import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AssignmentWriter } from '../../src/modules/ab-tests/assignment/assignment-writer.js';
import { PredictionStore, type NewPrediction } from '../../src/modules/predictions/prediction.store.js';
import { registerModelType, startAbTest } from '../support/ab-test-factory.js';
import { createTestDatabase } from '../support/database.js';
import { buildTestModel } from '../support/model-artifacts.js';
import { startServerProcess } from '../support/server-process.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { AnswerLedger, injectRequest, stringsIn, type Answer, type InjectRequest } from './support/responses.js';

const execFileAsync = promisify(execFile);
const WRITES_PER_MINUTE = 5;
const JWT_PATTERN = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;

/**
 * The authentication half of the trust-boundary audit (issue 11: findings 1, 3, 4, 5 and 8). Each
 * block reproduces one finding against the real app and fails on the code before the fix.
 */
describe('authentication hardening', () => {
  const ledger = new AnswerLedger();
  const figures: string[] = [];
  let t: TestApp;

  const send = async (what: string, request: InjectRequest, app: TestApp = t): Promise<Answer> => {
    const answer = await injectRequest(app.app, request);
    if (request.method !== 'HEAD') ledger.see(what, answer, stringsIn(request.payload));
    return answer;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true', RATE_LIMIT_WRITES_PER_MINUTE: String(WRITES_PER_MINUTE), RATE_LIMIT_SERVICE_WRITES_PER_MINUTE: String(WRITES_PER_MINUTE) });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    console.log(`[reliability] authentication: ${figures.join('; ')}; ${ledger.summary()}`);
    await t?.close();
  });
  const origin = () => `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;

  describe('finding 1: a long Authorization header cannot stall the event loop', () => {
    it('20 concurrent requests with a 15,000-character header leave /health answering at once, each a 401', async () => {
      const junk = 'a'.repeat(15_000);
      const t0 = performance.now();
      const bogus = Array.from({ length: 20 }, (_, i) =>
        rawRequest(origin(), i % 2 === 0 ? 'GET' : 'POST', i % 2 === 0 ? '/api/v1/auth/me' : '/api/v1/safety/check', { authorization: junk }, i % 2 === 0 ? undefined : '{"text":"x"}'),
      );
      const health = await rawRequest(origin(), 'GET', '/health', {});
      const healthMs = performance.now() - t0;
      const answers = await Promise.all(bogus);
      figures.push(`/health beside 20 long-header requests: ${healthMs.toFixed(0)} ms`);
      expect(health.status).toBe(200);
      for (const answer of answers) {
        // Writes past the anonymous allowance of the address are 429 before anything else.
        if (answer.status === 429) continue;
        expect(answer.status, answer.text).toBe(401);
        expect(answer.json).toMatchObject({ code: 'TOKEN_INVALID' });
      }
      expect(answers.filter((answer) => answer.status === 401).length).toBeGreaterThanOrEqual(10);
      expect(healthMs, 'the event loop was held by header parsing').toBeLessThan(1000);
    });

    it.each([
      ['a bearer value over the header limit', `Bearer ${'a'.repeat(9000)}`],
      ['a JWT-shaped bearer value over the header limit', `Bearer ${'a'.repeat(3000)}.${'b'.repeat(3000)}.${'c'.repeat(3000)}`],
      ['no scheme', 'a'.repeat(200)],
      ['another scheme', 'Basic YWxpY2U6c2VjcmV0'],
      ['a bearer value that is not a JWT', 'Bearer abc def'],
    ])('%s is 401 TOKEN_INVALID', async (what, authorization) => {
      const answer = await send(what, { method: 'GET', url: '/api/v1/auth/me', headers: { authorization } });
      expect(answer.status).toBe(401);
      expect(answer.json).toMatchObject({ code: 'TOKEN_INVALID' });
    });
  });

  describe('finding 3: the write limit is per verified caller and cannot be reset', () => {
    const feedback = (authorization: Record<string, string>, remoteAddress = '198.51.100.1'): InjectRequest => ({
      method: 'POST',
      url: `/api/v1/predictions/${randomUUID()}/feedback`,
      headers: authorization,
      payload: { correct: true },
      remoteAddress,
    });

    it("10,050 writes with random bearer values from random addresses do not reset a user's spent allowance", async () => {
      const victim = t.tokens.user('victim-3a');
      for (let n = 0; n < WRITES_PER_MINUTE; n++) expect((await send('victim write', feedback(bearer(victim)))).status).not.toBe(429);
      expect((await send('victim over the limit', feedback(bearer(victim)))).status).toBe(429);

      const statuses = new Map<number, number>();
      const started = performance.now();
      for (let sent = 0; sent < 10_050; sent += 150) {
        const burst = Array.from({ length: 150 }, (_, i) => {
          const n = sent + i;
          const token = `${randomBytes(12).toString('base64url')}.${randomBytes(24).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
          return injectRequest(t.app, feedback(bearer(token), `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`));
        });
        for (const answer of await Promise.all(burst)) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }
      figures.push(`10,050 random-token writes: ${[...statuses].map(([s, n]) => `${n}×${s}`).join(', ')} in ${(performance.now() - started).toFixed(0)} ms`);
      expect([...statuses.keys()].every((status) => status === 401 || status === 429)).toBe(true);

      const after = await send('victim after the flood', feedback(bearer(victim)));
      expect(after.status, 'the flood reset the allowance').toBe(429);
    });

    it('two tokens of one caller (same sub and role) share one allowance', async () => {
      const first = t.tokens.for('user', 'victim-3b', '1h');
      const second = t.tokens.for('user', 'victim-3b', '2h');
      expect(first).not.toBe(second);
      for (let n = 0; n < WRITES_PER_MINUTE; n++) expect((await send('first token write', feedback(bearer(first)))).status).not.toBe(429);
      const other = await send('second token of the same caller', feedback(bearer(second)));
      expect(other.status, 'a second token of the same caller got a fresh allowance').toBe(429);
      // A different caller is not affected.
      expect((await send('another caller', feedback(bearer(t.tokens.user('bystander-3b'))))).status).not.toBe(429);
    });

    it('a bad token is answered 401 before the request body is read', async () => {
      const forged = t.tokens.signedWithOtherKey('service');
      // Headers announce 4 MB; only 64 KB are sent. An answer proves the body was not awaited.
      const early = await partialBodyExchange(origin(), '/api/v1/safety/check', forged, 4 * 1024 * 1024, 64 * 1024, 2000);
      figures.push(`bogus token + announced 4 MB body: ${early.status === 0 ? 'no answer' : early.status} after ${early.ms.toFixed(0)} ms with 64 KB sent`);
      expect(early.status, 'no answer before the body was complete').toBe(401);

      const body = JSON.stringify({ text: 'x'.repeat(4 * 1024 * 1024 - 20) });
      const t0 = performance.now();
      const full = await rawRequest(origin(), 'POST', '/api/v1/safety/check', { authorization: `Bearer ${forged}`, 'content-type': 'application/json' }, body);
      const fullMs = performance.now() - t0;
      figures.push(`bogus token + full 4 MB body: ${full.status} in ${fullMs.toFixed(0)} ms`);
      expect(full.status).toBe(401);
    });
  });

  describe('finding 4: token verification is strict', () => {
    const now = () => Math.floor(Date.now() / 1000);
    it.each([
      ['no exp', () => t.tokens.claims({ sub: 'x', roles: ['admin'], exp: undefined })],
      ['a lifetime of 100 years', () => t.tokens.claims({ sub: 'x', roles: ['admin'], exp: now() + 100 * 365 * 86_400 })],
      ['a lifetime of 31 days (over JWT_MAX_TTL)', () => t.tokens.claims({ sub: 'x', roles: ['admin'], exp: now() + 31 * 86_400 })],
      ['no iss', () => t.tokens.claims({ sub: 'x', roles: ['admin'], iss: undefined })],
      ['another iss', () => t.tokens.claims({ sub: 'x', roles: ['admin'], iss: 'someone-else' })],
      ['no aud', () => t.tokens.claims({ sub: 'x', roles: ['admin'], aud: undefined })],
      ['another aud', () => t.tokens.claims({ sub: 'x', roles: ['admin'], aud: 'another-service' })],
    ])('a token with %s is 401 TOKEN_INVALID', async (what, make) => {
      const answer = await send(what, { method: 'GET', url: '/api/v1/auth/me', headers: bearer(make()) });
      expect(answer.status, answer.text).toBe(401);
      expect(answer.json).toMatchObject({ code: 'TOKEN_INVALID' });
    });

    it('a well-formed token (iss, aud, exp within the cap, aud as a list) is accepted', async () => {
      const answer = await send('good token', { method: 'GET', url: '/api/v1/auth/me', headers: bearer(t.tokens.claims({ sub: 'x', roles: ['admin'], aud: ['other', 'model-ab'] })) });
      expect(answer.status, answer.text).toBe(200);
    });

    it('the token CLI refuses a lifetime over JWT_MAX_TTL and stamps iss and aud', async () => {
      const cli = (args: string[], env: Record<string, string> = {}) =>
        execFileAsync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/auth/token.cli.ts', ...args], {
          env: { PATH: process.env.PATH ?? '', JWT_SECRET: t.tokens.secret, DATA_DIR: path.join(inject('testTmpDir'), 'token-cli'), ...env },
        }).then(
          (result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
          (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
        );
      const [tooLong, overCap, ok] = await Promise.all([
        cli(['--sub', 'a', '--role', 'admin', '--ttl', '100y']),
        cli(['--sub', 'a', '--role', 'admin', '--ttl', '2h'], { JWT_MAX_TTL: '1h' }),
        cli(['--sub', 'a', '--role', 'admin', '--ttl', '30d'], { JWT_ISSUER: 'https://model-ab.example', JWT_AUDIENCE: 'model-ab-prod' }),
      ]);
      figures.push(`token CLI --ttl 100y: exit ${tooLong.code}`);
      expect(tooLong.code, tooLong.stdout).not.toBe(0);
      expect(tooLong.stderr).toMatch(/JWT_MAX_TTL/);
      expect(overCap.code, overCap.stdout).not.toBe(0);
      expect(ok.code, ok.stderr).toBe(0);
      const claims = jwt.decode(ok.stdout.trim()) as Record<string, unknown>;
      expect(claims).toMatchObject({ sub: 'a', iss: 'https://model-ab.example', aud: 'model-ab-prod' });
      expect((claims.exp as number) - (claims.iat as number)).toBe(30 * 86_400);
    });
  });

  describe('finding 5: the admin token never reaches the log stream', () => {
    it('a development start writes the sign-in token to a 0600 file and logs only its path', async () => {
      const database = await createTestDatabase(inject('adminDatabaseUrl'));
      const dataDir = path.join(inject('testTmpDir'), `signin-${randomBytes(3).toString('hex')}`);
      const server = await startServerProcess({ DATABASE_URL: database.url, DATA_DIR: dataDir, SEED_EXAMPLE_MODELS: 'false' });
      try {
        const output = server.output();
        const leaked = JWT_PATTERN.exec(output)?.[0];
        figures.push(`log stream at start: ${leaked ? 'contains a token' : 'no token'}`);
        expect(leaked, 'a JWT in the process output').toBeUndefined();
        const file = /"admin_token_file":"([^"]+)"/.exec(output)?.[1];
        expect(file, output).toBe(path.join(dataDir, 'admin-token'));
        const stat = await fs.stat(file!);
        expect(stat.mode & 0o777).toBe(0o600);
        const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: bearer((await fs.readFile(file!, 'utf8')).trim()) });
        expect(me.status).toBe(200);
        expect(await me.json()).toMatchObject({ sub: 'admin', roles: ['admin'] });
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
        await database.drop();
      }
    });
  });

  describe('finding 8: one bad value fails alone', () => {
    it.each([
      ['a NUL', 'alice\u0000'],
      ['a control character', 'bell\u0007'],
      ['a lone surrogate', 'half\ud800'],
    ])("a token whose sub has %s is 401 at authentication", async (what, sub) => {
      const answer = await send(`sub with ${what}`, { method: 'GET', url: '/api/v1/auth/me', headers: bearer(t.tokens.for('user', sub)) });
      expect(answer.status, answer.text).toBe(401);
      expect(answer.json).toMatchObject({ code: 'TOKEN_INVALID' });
    });

    it("a NUL user's safety check, concurrent with others, fails none of theirs", async () => {
      const innocent = Array.from({ length: 12 }, (_, i) => t.tokens.user(`innocent-${i}`));
      const evil = [t.tokens.user('evil\u0000a'), t.tokens.user('evil\u0000b')];
      const answers = await Promise.all(
        [...innocent.slice(0, 6), ...evil, ...innocent.slice(6)].map((token, i) =>
          injectRequest(t.app, { method: 'POST', url: '/api/v1/safety/check', headers: bearer(token), payload: { text: `hello ${i}` }, remoteAddress: `192.0.2.${i}` }),
        ),
      );
      const innocentStatuses = [...answers.slice(0, 6), ...answers.slice(8)].map((answer) => answer.status);
      figures.push(`safety checks beside NUL subs: innocent ${innocentStatuses.join(',')}; NUL ${answers[6]!.status},${answers[7]!.status}`);
      expect(innocentStatuses).toEqual(innocent.map(() => 200));
      expect([answers[6]!.status, answers[7]!.status]).toEqual([401, 401]);
    });

    it('the prediction store isolates a row PostgreSQL refuses: the rest of its group is stored', async () => {
      const store = t.app.get(PredictionStore);
      const row = (userId: string, label = 'safe'): NewPrediction => ({
        id: randomUUID(),
        abTestId: null,
        variant: null,
        modelType: 'safety_classifier',
        modelVersion: 'v1.0.0',
        userId,
        label,
        score: 0.5,
      });
      const good = Array.from({ length: 20 }, (_, i) => row(`group-${i}`));
      const bad = [row('nul\u0000user'), row('long-label', 'x'.repeat(201))];
      const settled = await Promise.allSettled([...good.slice(0, 10), ...bad, ...good.slice(10)].map((r) => store.insert(r)));
      const goodResults = [...settled.slice(0, 10), ...settled.slice(12)].map((s) => s.status);
      figures.push(`prediction group with 2 bad rows: ${goodResults.filter((s) => s === 'fulfilled').length}/20 good rows stored`);
      expect(goodResults).toEqual(good.map(() => 'fulfilled'));
      expect(settled[10]!.status).toBe('rejected');
      expect(settled[11]!.status).toBe('rejected');
      const stored = await t.dataSource.query<Array<{ n: string }>>('SELECT count(*)::text AS n FROM predictions WHERE id = ANY($1::uuid[])', [good.map((r) => r.id)]);
      expect(stored[0]!.n).toBe('20');
    });

    it('the assignment writer isolates a user id PostgreSQL refuses: the rest of its group is assigned', async () => {
      const modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }], 'iso');
      const testId = await startAbTest(t, { model_type: modelType });
      const writer = t.app.get(AssignmentWriter);
      const users = Array.from({ length: 20 }, (_, i) => `assign-${i}`);
      const settled = await Promise.allSettled([...users.slice(0, 10), 'nul\u0000user', ...users.slice(10)].map((user) => writer.assign(testId, user, 'a', 1)));
      const goodResults = [...settled.slice(0, 10), ...settled.slice(11)];
      figures.push(`assignment group with 1 bad user id: ${goodResults.filter((s) => s.status === 'fulfilled').length}/20 good assignments stored`);
      expect(goodResults.map((s) => s.status)).toEqual(users.map(() => 'fulfilled'));
      expect(settled[10]!.status).toBe('rejected');
      const stored = await t.dataSource.query<Array<{ n: string }>>('SELECT count(*)::text AS n FROM ab_test_assignments WHERE ab_test_id = $1', [testId]);
      expect(stored[0]!.n).toBe('20');
    });

    it('a lone surrogate in a JSON string is a 400, not a failed insert (found by the fuzz suite: jsonb refuses \\ud800)', async () => {
      const name = `sur_${randomBytes(3).toString('hex')}`;
      const answer = await send('lone surrogate in labels', {
        method: 'POST',
        url: '/api/v1/models',
        headers: { ...bearer(t.tokens.for('admin', `sur-${name}`)), 'content-type': 'application/json' },
        payload: `{"name":"${name}","task":"t","labels":["ok","\\ud800"]}`,
        remoteAddress: '192.0.2.200',
      });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.json).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('labels.1') });
      const rows = await t.dataSource.query<Array<{ n: string }>>('SELECT count(*)::text AS n FROM models WHERE name = $1', [name]);
      expect(rows[0]!.n).toBe('0');
    });

    it.each([
      ['a version of 101 characters', { version: `v1.0.0-${'a'.repeat(94)}`, labels: undefined }],
      ['a label of 201 characters', { version: 'v9.0.0', labels: ['safe', 'l'.repeat(201)] }],
    ])('registering %s (longer than the predictions column) is refused and stores nothing', async (what, { version, labels }) => {
      const model = buildTestModel({ labels: labels ?? ['safe', 'toxic'], seed: 11 });
      const type = `reg_${randomBytes(3).toString('hex')}`;
      const admin = t.tokens.for('admin', `reg-${type}`);
      await t.http().post('/api/v1/models').set(bearer(admin)).send({ name: type, task: 'text-classification' }).expect(201);
      const res = await t
        .http()
        .post(`/api/v1/models/${type}/versions`)
        .set(bearer(admin))
        .field('version', version)
        .field('metadata', JSON.stringify(model.metadata))
        .attach('file', model.bytes, 'model.onnx');
      figures.push(`register ${what}: ${res.status}`);
      expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const versions = await t.dataSource.query<Array<{ n: string }>>('SELECT count(*)::text AS n FROM model_versions WHERE model_type = $1', [type]);
      expect(versions[0]!.n).toBe('0');
    });
  });

  it('every error answer seen here is the one error shape and leaks nothing', () => {
    expect(ledger.errorBodiesChecked).toBeGreaterThan(10);
    expect(ledger.failures).toEqual([]);
  });
});

interface RawAnswer {
  status: number;
  text: string;
  json: unknown;
}

/** One request on its own connection (node:http, so headers Node's fetch would refuse can be sent). */
function rawRequest(origin: string, method: string, url: string, headers: Record<string, string>, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${origin}${url}`, { method, headers: { ...headers, connection: 'close', ...(body ? { 'content-type': 'application/json' } : {}) }, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, text, json });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Sends a POST announcing `announced` body bytes but writes only `sent` of them, then waits up to
 * `waitMs` for an answer. Status 0 means none came.
 */
function partialBodyExchange(origin: string, url: string, token: string, announced: number, sent: number, waitMs: number): Promise<{ status: number; ms: number }> {
  const { port } = new URL(origin);
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `POST ${url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${announced}\r\n\r\n` +
          `{"text":"${'x'.repeat(sent - 10)}`,
      );
    });
    let text = '';
    const done = (status: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => done(0), waitMs);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (match) done(Number(match[1]));
    });
    socket.on('error', () => done(0));
  });
}
