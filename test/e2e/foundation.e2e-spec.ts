import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOpenApi } from '../../src/openapi.cli.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { appWithProbe } from '../support/probe.module.js';

function expectErrorShape(body: unknown, status: number, code: string): void {
  expect(body).toMatchObject({ status_code: status, code });
  const b = body as Record<string, unknown>;
  expect(typeof b.error).toBe('string');
  expect(typeof b.message).toBe('string');
  expect(JSON.stringify(body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
}

describe('foundation', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ BODY_LIMIT_BYTES: '2048' }, { rootModule: appWithProbe });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('health', () => {
    it('GET /health is public liveness', async () => {
      const res = await t.http().get('/health').expect(200);
      expect(res.body.status).toBe('ok');
    });

    it('GET /health/ready checks the database', async () => {
      const res = await t.http().get('/health/ready').expect(200);
      expect(res.body).toMatchObject({ status: 'ok', database: 'up' });
    });
  });

  describe('auth', () => {
    it('401 without a token', async () => {
      const res = await t.http().get('/api/v1/auth/me').expect(401);
      expectErrorShape(res.body, 401, 'AUTH_REQUIRED');
    });

    it('200 with a valid token, returning the claims', async () => {
      const res = await t.http().get('/api/v1/auth/me').set('authorization', `Bearer ${t.tokens.for('service', 'svc-9')}`).expect(200);
      expect(res.body.sub).toBe('svc-9');
      expect(res.body.roles).toEqual(['service']);
      expect(res.body.claims.exp).toBeGreaterThan(Date.now() / 1000);
    });

    it.each([
      ['expired', (t: TestApp) => t.tokens.expired(), 'TOKEN_EXPIRED'],
      ['signed with another key', (t: TestApp) => t.tokens.signedWithOtherKey(), 'TOKEN_INVALID'],
      ['alg none', (t: TestApp) => t.tokens.unsigned(), 'TOKEN_INVALID'],
      ['malformed', () => 'not.a.jwt', 'TOKEN_INVALID'],
    ])('401 for a token %s', async (_name, make, code) => {
      const res = await t.http().get('/api/v1/auth/me').set('authorization', `Bearer ${make(t)}`).expect(401);
      expectErrorShape(res.body, 401, code);
    });

    it('401 for a token without roles', async () => {
      const { signToken } = await import('../../src/auth/token-signer.js');
      const token = signToken(t.tokens.key, { sub: 'x', roles: [] });
      const res = await t.http().get('/api/v1/auth/me').set('authorization', `Bearer ${token}`).expect(401);
      expectErrorShape(res.body, 401, 'TOKEN_INVALID');
    });

    it('403 for the wrong role, 200 for the right one', async () => {
      const body = { name: 'x', count: 1 };
      const forbidden = await t.http().post('/api/v1/probe/admin-only').set('authorization', `Bearer ${t.tokens.user()}`).send(body).expect(403);
      expectErrorShape(forbidden.body, 403, 'FORBIDDEN_ROLE');
      await t.http().post('/api/v1/probe/admin-only').set('authorization', `Bearer ${t.tokens.admin}`).send(body).expect(201);
    });
  });

  describe('errors', () => {
    const admin = (t: TestApp) => ({ authorization: `Bearer ${t.tokens.admin}` });

    it('validation failures are 400 with every problem listed', async () => {
      const res = await t.http().post('/api/v1/probe/admin-only').set(admin(t)).send({ name: '', count: 99 }).expect(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      expect(res.body.message).toContain('name');
      expect(res.body.message).toContain('count');
      expect(res.body.details).toHaveLength(2);
    });

    it('unknown fields are rejected', async () => {
      const res = await t.http().post('/api/v1/probe/admin-only').set(admin(t)).send({ name: 'a', count: 1, extra: true }).expect(400);
      expectErrorShape(res.body, 400, 'VALIDATION_FAILED');
      expect(res.body.message).toContain('extra');
    });

    it('unknown routes are 404 JSON', async () => {
      const res = await t.http().get('/api/v1/nothing-here').expect(404);
      expectErrorShape(res.body, 404, 'NOT_FOUND');
    });

    it('malformed JSON is 400', async () => {
      const res = await t.http().post('/api/v1/probe/admin-only').set(admin(t)).set('content-type', 'application/json').send('{"name": ').expect(400);
      expectErrorShape(res.body, 400, 'MALFORMED_JSON');
    });

    it('an oversized body is 413', async () => {
      const res = await t.http().post('/api/v1/probe/admin-only').set(admin(t)).send({ name: 'x'.repeat(5000), count: 1 }).expect(413);
      expectErrorShape(res.body, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('responses carry a request id', async () => {
      const res = await t.http().get('/health').expect(200);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    });

    it('sends security headers', async () => {
      const res = await t.http().get('/health').expect(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('rate limit', () => {
    it('limits writes per token with 429 and Retry-After; service tokens have their own limit; reads are never limited', async () => {
      const limited = await createTestApp({ RATE_LIMIT_WRITES_PER_MINUTE: '3', RATE_LIMIT_SERVICE_WRITES_PER_MINUTE: '5' }, { rootModule: appWithProbe });
      try {
        const send = (bearer: string) =>
          limited.http().post('/api/v1/probe/any-role').set('authorization', `Bearer ${bearer}`).send({ name: 'x', count: 1 });
        const user = limited.tokens.user('heavy-user');
        for (let i = 0; i < 3; i++) await send(user).expect(201);
        const res = await send(user).expect(429);
        expectErrorShape(res.body, 429, 'RATE_LIMITED');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        await send(limited.tokens.user('other-user')).expect(201);
        for (let i = 0; i < 5; i++) await limited.http().get('/api/v1/auth/me').set('authorization', `Bearer ${user}`).expect(200);

        const service = limited.tokens.service;
        for (let i = 0; i < 5; i++) await send(service).expect(201);
        await send(service).expect(429);
      } finally {
        await limited.close();
      }
    });
  });

  describe('OpenAPI', () => {
    it('serves Swagger UI and the JSON document', async () => {
      await t.http().get('/docs').expect(200);
      const res = await t.http().get('/docs-json').expect(200);
      expect(res.body.paths['/api/v1/auth/me']).toBeDefined();
      expect(res.body.components.securitySchemes.bearer).toBeDefined();
    });

    it('openapi.json matches the code (run `npm run openapi` after changing the API)', async () => {
      const committed = await fs.readFile('openapi.json', 'utf8');
      expect(JSON.parse(committed)).toEqual(JSON.parse(await generateOpenApi()));
    });
  });
});
