import net, { type AddressInfo } from 'node:net';
import { Controller, DynamicModule, Get, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../../src/app.module.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { AnswerLedger, checkErrorAnswer, injectRequest, stringsIn, type Answer, type InjectRequest } from './support/responses.js';
import { isWrite, methodOf, probePath, ROUTE_TABLE, RouteRecorder } from './support/routes.js';

const PROBE_PREFIX = '/api/v1/leak-probe';

/**
 * Routes that exist only here and fail the way a bug would: a query PostgreSQL rejects, a
 * constraint violation, a plain Error whose message and stack name files. The global filter must
 * answer each with the generic 500 and nothing of the cause.
 */
@Controller('leak-probe')
class LeakProbeController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('bad-sql')
  async badSql(): Promise<unknown> {
    return this.dataSource.query('SELECT secret FROM no_such_table WHERE id = $1::uuid', ['not-a-uuid']);
  }

  @Get('constraint')
  async constraint(): Promise<unknown> {
    await this.dataSource.query(`INSERT INTO models (name, task) VALUES ('leak_probe', 'x') ON CONFLICT DO NOTHING`);
    return this.dataSource.query(`INSERT INTO models (name, task) VALUES ('leak_probe', 'x')`);
  }

  @Get('error')
  error(): never {
    throw new Error('boom in /work/main/src/modules/secret.service.ts:12:34 while running SELECT * FROM ab_tests');
  }

  @Get('type-error')
  typeError(): unknown {
    const nothing = null as unknown as { deref: () => unknown };
    return nothing.deref();
  }
}

@Module({ controllers: [LeakProbeController] })
class LeakProbeModule {}

function withLeakProbe(config: AppConfig): DynamicModule {
  const root = AppModule.forRoot(config);
  return { ...root, imports: [...(root.imports ?? []), LeakProbeModule] };
}

const HELMET_HEADERS: Record<string, RegExp> = {
  'content-security-policy': /default-src 'self'/,
  'strict-transport-security': /max-age=\d+/,
  'x-content-type-options': /^nosniff$/,
  'x-frame-options': /^SAMEORIGIN$/,
  'referrer-policy': /^no-referrer$/,
  'cross-origin-opener-policy': /^same-origin$/,
  'cross-origin-resource-policy': /^same-origin$/,
  'x-dns-prefetch-control': /^off$/,
  'x-download-options': /^noopen$/,
  'x-permitted-cross-domain-policies': /^none$/,
  'origin-agent-cluster': /^\?1$/,
};

const BODY_LIMIT = 4096;
const WRITES_PER_MINUTE = 5;

describe('security', () => {
  const recorder = new RouteRecorder();
  const ledger = new AnswerLedger();
  let t: TestApp;
  let writeRoutes: string[] = [];

  const send = async (what: string, request: InjectRequest, app: TestApp = t): Promise<Answer> => {
    const answer = await injectRequest(app.app, request);
    ledger.see(what, answer, stringsIn(request.payload));
    return answer;
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await createTestApp(
      { BODY_LIMIT_BYTES: String(BODY_LIMIT), RATE_LIMIT_WRITES_PER_MINUTE: String(WRITES_PER_MINUTE), RATE_LIMIT_SERVICE_WRITES_PER_MINUTE: String(WRITES_PER_MINUTE) },
      { rootModule: withLeakProbe, onRoute: recorder.onRoute },
    );
    writeRoutes = recorder.routes.filter((route) => isWrite(route) && !route.includes('leak-probe'));
  });
  afterAll(async () => {
    console.log(`[reliability] security: ${writeRoutes.length} write routes, ${ledger.summary()}`);
    await t?.close();
  });

  describe('security headers (helmet)', () => {
    it.each([
      ['a public 200', { method: 'GET', url: '/health' }],
      ['an API 200', { method: 'GET', url: '/api/v1/models', headers: { authorization: 'ADMIN' } }],
      ['a 401', { method: 'GET', url: '/api/v1/auth/me' }],
      ['a 404', { method: 'GET', url: '/api/v1/no-such-route' }],
      ['a 400 (malformed JSON)', { method: 'POST', url: '/api/v1/ab-tests', headers: { authorization: 'ADMIN', 'content-type': 'application/json' }, payload: '{"name": ' }],
      ['a 413', { method: 'POST', url: '/api/v1/models', headers: { authorization: 'ADMIN' }, payload: { name: 'x'.repeat(BODY_LIMIT) } }],
      ['a 500', { method: 'GET', url: `${PROBE_PREFIX}/error` }],
      ['Swagger UI', { method: 'GET', url: '/docs' }],
    ] as Array<[string, InjectRequest]>)('are on %s', async (what, request) => {
      const headers = request.headers?.authorization === 'ADMIN' ? { ...request.headers, authorization: `Bearer ${t.tokens.for('admin', `helmet-${what}`)}` } : request.headers;
      const answer = await send(what, { ...request, headers });
      for (const [name, pattern] of Object.entries(HELMET_HEADERS)) {
        expect(String(answer.headers[name]), `${name} on ${what} (${answer.status})`).toMatch(pattern);
      }
      expect(answer.headers['x-powered-by']).toBeUndefined();
      expect(answer.headers['x-request-id']).toBeTruthy();
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string): InjectRequest => ({
      method: 'OPTIONS',
      url: '/api/v1/ab-tests',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

    it('is off when CORS_ORIGINS is not set: no Access-Control-* header, preflight or not', async () => {
      for (const request of [preflight('https://app.example'), { method: 'GET', url: '/health', headers: { origin: 'https://app.example' } }]) {
        const answer = await send('CORS off', request);
        const cors = Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));
        expect(cors, `${request.method} ${request.url}`).toEqual([]);
      }
    });

    it('allows exactly the configured origins when CORS_ORIGINS is set', async () => {
      const cors = await createTestApp({ CORS_ORIGINS: 'https://app.example, https://admin.example' });
      try {
        const allowed = await send('preflight from an allowed origin', preflight('https://app.example'), cors);
        expect(allowed.status).toBeLessThan(300);
        expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
        expect(String(allowed.headers['access-control-allow-methods'])).toMatch(/POST/);
        expect(String(allowed.headers['access-control-allow-headers'] ?? '')).toMatch(/authorization/i);

        const second = await send('simple request from the second origin', { method: 'GET', url: '/health', headers: { origin: 'https://admin.example' } }, cors);
        expect(second.headers['access-control-allow-origin']).toBe('https://admin.example');
        expect(String(second.headers.vary)).toMatch(/origin/i);

        // Errors are readable by an allowed origin too (a browser app must see the 401's body).
        const unauthorized = await send('401 to an allowed origin', { method: 'GET', url: '/api/v1/auth/me', headers: { origin: 'https://app.example' } }, cors);
        expect(unauthorized.status).toBe(401);
        expect(unauthorized.headers['access-control-allow-origin']).toBe('https://app.example');

        for (const origin of ['https://evil.example', 'https://app.example.evil.example', 'null']) {
          const refused = await send(`preflight from ${origin}`, preflight(origin), cors);
          expect(refused.headers['access-control-allow-origin'], origin).toBeUndefined();
          const simple = await send(`GET from ${origin}`, { method: 'GET', url: '/health', headers: { origin } }, cors);
          expect(simple.headers['access-control-allow-origin'], origin).toBeUndefined();
        }
      } finally {
        await cors.close();
      }
    });
  });

  describe('errors never leak internals', () => {
    it.each(['bad-sql', 'constraint', 'error', 'type-error'])('a failure like a bug (%s) is a generic 500', async (probe) => {
      const answer = await send(`leak probe ${probe}`, { method: 'GET', url: `${PROBE_PREFIX}/${probe}` });
      expect(answer.status).toBe(500);
      expect(answer.json).toEqual({ status_code: 500, error: 'Internal Server Error', message: 'Internal server error', code: 'INTERNAL_ERROR' });
      expect(checkErrorAnswer(answer).problems).toEqual([]);
    });

    it('the leak scanner itself finds what it looks for', () => {
      const leaky = (message: string): Answer => ({
        status: 500,
        headers: { 'content-type': 'application/json' },
        text: JSON.stringify({ status_code: 500, error: 'x', message, code: 'X' }),
        json: { status_code: 500, error: 'x', message, code: 'X' },
      });
      for (const message of [
        'QueryFailedError: relation "x" does not exist',
        '    at AbTestsService.createTest (/work/main/src/modules/ab-tests/ab-tests.service.ts:71:13)',
        'duplicate key value violates unique constraint "models_pkey"',
        'INSERT INTO ab_test_assignments (ab_test_id) VALUES ($1)',
      ]) {
        expect(checkErrorAnswer(leaky(message)).problems.length, message).toBeGreaterThan(0);
      }
      // …and does not flag the client's own input quoted back.
      const quoted = "'; DROP TABLE ab_tests; SELECT * FROM predictions --";
      expect(checkErrorAnswer(leaky(`model type "${quoted}" is not registered`), [quoted]).problems).toEqual([]);
    });

    it.each([
      ['a malformed percent-encoding in the path', { method: 'GET', url: '/api/v1/ab-tests/%E0%A4%A' }],
      ['a path parameter over the router limit', { method: 'GET', url: `/api/v1/conversations/${'c'.repeat(300)}` }],
      ['a NUL in the path', { method: 'GET', url: '/api/v1/models/%00' }],
      ['an unsupported content type', { method: 'POST', url: '/api/v1/ab-tests', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }],
      ['a wrong content-length', { method: 'POST', url: '/api/v1/ab-tests', headers: { 'content-type': 'application/json', 'content-length': '999' }, payload: '{}' }],
      ['an unknown method', { method: 'PROPFIND', url: '/api/v1/ab-tests' }],
      ['a multipart body that is not multipart', { method: 'POST', url: '/api/v1/models/safety_classifier/versions', headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: 'garbage' }],
    ] as Array<[string, InjectRequest]>)('%s is a 4xx in the error shape', async (what, request) => {
      const headers = { authorization: `Bearer ${t.tokens.for('admin', `odd-${what}`)}`, ...request.headers };
      const answer = await send(what, { ...request, headers }).catch((error: unknown) => {
        throw new Error(`${what}: ${String(error)}`);
      });
      expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
      expect(answer.status, answer.text).toBeLessThan(500);
      expect(checkErrorAnswer(answer).problems).toEqual([]);
    });
  });

  describe('requests the HTTP parser rejects (a real socket)', () => {
    let port = 0;
    beforeAll(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.getHttpServer().address() as AddressInfo).port;
    });

    it.each([
      ['garbage instead of a request line', 'GARBAGE\r\n\r\n', 400],
      ['a header line without a colon', 'GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 400],
      ['headers over the size limit', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ])('%s gets the one error shape', async (what, raw, status) => {
      const text = await rawExchange(port, raw);
      const [head, body = ''] = text.split('\r\n\r\n');
      expect(head, text).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      const answer: Answer = { status, headers: { 'content-type': /content-type: ([^\r]+)/i.exec(head!)?.[1] ?? '' }, text: body, json: JSON.parse(body) };
      ledger.see(what, answer);
      expect(checkErrorAnswer(answer).problems).toEqual([]);
    });
  });

  describe('request body limit', () => {
    it('every write route answers 413 to a body over BODY_LIMIT_BYTES (401 before reading it without a token)', async () => {
      expect(writeRoutes.length).toBeGreaterThan(10);
      const oversized = { padding: 'x'.repeat(BODY_LIMIT + 10) };
      let n = 0;
      for (const route of writeRoutes) {
        for (const token of [t.tokens.for('admin', `limit-${n}`), t.tokens.for('service', `limit-${n}`), null]) {
          n++;
          const answer = await send(`${route} oversized`, {
            method: methodOf(route),
            url: probePath(route),
            headers: token ? bearer(token) : {},
            payload: oversized,
            remoteAddress: `10.0.${Math.floor(n / 250)}.${n % 250}`,
          });
          // Every write route is authenticated: without a token it is refused before the body is read.
          const [status, code] = token ? [413, 'PAYLOAD_TOO_LARGE'] : [401, 'AUTH_REQUIRED'];
          expect(answer.status, `${route} ${answer.text}`).toBe(status);
          expect(answer.json).toMatchObject({ status_code: status, code });
        }
      }
    });

    it('a body just under the limit is read (and then judged on its content)', async () => {
      const answer = await send('just under the limit', {
        method: 'POST',
        url: '/api/v1/models',
        headers: bearer(t.tokens.for('admin', 'under-limit')),
        payload: { name: 'x'.repeat(BODY_LIMIT - 200), task: 't' },
      });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });

  describe('per-token rate limit on write routes', () => {
    it('every write route answers 429 with Retry-After once a token spent its writes; other tokens and reads go on', async () => {
      for (const [i, route] of writeRoutes.entries()) {
        const role = (ROUTE_TABLE[route]?.access as string[] | undefined)?.[0] ?? 'admin';
        const token = t.tokens.for(role as 'admin', `rate-${i}`);
        const request = (authorization: string): InjectRequest => ({
          method: methodOf(route),
          url: probePath(route),
          headers: { authorization },
          payload: ROUTE_TABLE[route]?.probe?.body,
        });
        for (let n = 0; n < WRITES_PER_MINUTE; n++) {
          const answer = await send(`${route} write ${n + 1}`, request(`Bearer ${token}`));
          expect(answer.status, `${route} #${n + 1}: ${answer.text}`).not.toBe(429);
        }
        const limited = await send(`${route} over the limit`, request(`Bearer ${token}`));
        expect(limited.status, route).toBe(429);
        expect(limited.json).toMatchObject({ status_code: 429, code: 'RATE_LIMITED' });
        const retryAfter = Number(limited.headers['retry-after']);
        expect(retryAfter, `Retry-After on ${route}`).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(60);

        // The same token written differently is the same token: no extra allowance.
        for (const variant of [`bearer ${token}`, `BEARER ${token}`, `Bearer  ${token}`, `Bearer ${token} `, `Bearer\t${token}`]) {
          const again = await send(`${route} with ${JSON.stringify(variant.slice(0, 8))}`, request(variant));
          expect(again.status, `${route} with authorization ${JSON.stringify(variant.replace(token, '<token>'))}`).toBe(429);
        }

        const other = await send(`${route} other token`, request(`Bearer ${t.tokens.for(role as 'admin', `rate-other-${i}`)}`));
        expect(other.status, route).not.toBe(429);
        const read = await send('a read with the limited token', { method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });
        expect(read.status).toBe(200);
      }
    });

    it('callers without a token are limited by address', async () => {
      const request = (remoteAddress: string): InjectRequest => ({ method: 'POST', url: '/api/v1/safety/check', payload: { text: 'x' }, remoteAddress });
      for (let n = 0; n < WRITES_PER_MINUTE; n++) expect((await send('anonymous write', request('192.0.2.7'))).status).toBe(401);
      const limited = await send('anonymous write over the limit', request('192.0.2.7'));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await send('anonymous write from elsewhere', request('192.0.2.8'))).status).toBe(401);
    });
  });

  it('every error answer seen here is the one error shape and leaks nothing', () => {
    expect(ledger.errorBodiesChecked).toBeGreaterThan(50);
    expect(ledger.failures).toEqual([]);
  });
});

/** Writes raw bytes to the server and returns everything it answers before closing. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    let text = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', (error) => (text ? resolve(text) : reject(error)));
    socket.on('close', () => resolve(text));
  });
}
