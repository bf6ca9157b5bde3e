import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/roles.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { AnswerLedger, injectRequest, stringsIn, type Answer } from './support/responses.js';
import { methodOf, probePath, ROUTE_TABLE, RouteRecorder, type RouteKey } from './support/routes.js';

type TokenKind = 'none' | Role | 'expired' | 'other-key' | 'alg-none' | 'malformed' | 'no-roles' | 'unknown-role';

const TOKEN_KINDS: readonly TokenKind[] = ['none', 'user', 'service', 'admin', 'expired', 'other-key', 'alg-none', 'malformed', 'no-roles', 'unknown-role'];

/** The code a bad token gets on every authenticated route. */
const BAD_TOKEN_CODE: Partial<Record<TokenKind, string>> = {
  none: 'AUTH_REQUIRED',
  expired: 'TOKEN_EXPIRED',
  'other-key': 'TOKEN_INVALID',
  'alg-none': 'TOKEN_INVALID',
  malformed: 'TOKEN_INVALID',
  'no-roles': 'TOKEN_INVALID',
  'unknown-role': 'TOKEN_INVALID',
};

/**
 * Who gets in where: every route the router registers × every kind of caller. The routes come from
 * the running app (an onRoute hook installed before the router registers anything), so a route
 * added without deciding who may call it fails here.
 */
describe('access control', () => {
  const recorder = new RouteRecorder();
  const ledger = new AnswerLedger();
  let t: TestApp;

  const authorization = (kind: TokenKind): Record<string, string> => {
    const jwt = t.tokens;
    switch (kind) {
      case 'none':
        return {};
      case 'user':
        return { authorization: `Bearer ${jwt.user('table-user')}` };
      case 'service':
        return { authorization: `Bearer ${jwt.service}` };
      case 'admin':
        return { authorization: `Bearer ${jwt.admin}` };
      case 'expired':
        return { authorization: `Bearer ${jwt.expired('admin')}` };
      case 'other-key':
        return { authorization: `Bearer ${jwt.signedWithOtherKey('admin')}` };
      case 'alg-none':
        return { authorization: `Bearer ${jwt.unsigned()}` };
      case 'malformed':
        return { authorization: 'Bearer not.a.jwt' };
      case 'no-roles':
        return { authorization: `Bearer ${signRaw(t, { sub: 'x', roles: [] })}` };
      case 'unknown-role':
        return { authorization: `Bearer ${signRaw(t, { sub: 'x', roles: ['superuser'] })}` };
    }
  };

  const send = async (what: string, request: Parameters<typeof injectRequest>[1]): Promise<Answer> => {
    const answer = await injectRequest(t.app, request);
    if (request.method !== 'HEAD') ledger.see(what, answer, stringsIn(request.payload));
    return answer;
  };

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true', RATE_LIMIT_WRITES_PER_MINUTE: '0' }, { onRoute: recorder.onRoute });
  });
  afterAll(async () => {
    console.log(`[reliability] access control: ${recorder.routes.length} routes, ${ledger.summary()}`);
    await t?.close();
  });

  it('has an entry for every route the app serves, and no stale ones', () => {
    const served = recorder.routes;
    expect(served.length).toBeGreaterThan(20);
    const missing = served.filter((route) => !(route in ROUTE_TABLE));
    expect(missing, 'routes without an access-control entry (add them to test/reliability/support/routes.ts)').toEqual([]);
    const stale = Object.keys(ROUTE_TABLE).filter((route) => !served.includes(route));
    expect(stale, 'entries for routes the app no longer serves').toEqual([]);
  });

  it.for(Object.keys(ROUTE_TABLE))('%s answers every kind of caller as its entry says', async (route: RouteKey, ctx) => {
    if (!recorder.routes.includes(route)) {
      ctx.skip(`${route} is not served (a stale entry: see the table test)`);
      return;
    }
    const spec = ROUTE_TABLE[route]!;
    const method = methodOf(route);
    const path = spec.probe?.path ?? probePath(route);
    const url = spec.probe?.query ? `${path}?${spec.probe.query}` : path;
    const methods = method === 'GET' ? ['GET', 'HEAD'] : [method];
    const seen: string[] = [];
    for (const kind of TOKEN_KINDS) {
      for (const m of methods) {
        const answer = await send(`${m} ${url} as ${kind}`, { method: m, url, headers: authorization(kind), payload: m === 'HEAD' ? undefined : spec.probe?.body });
        seen.push(`${m} ${kind} → ${answer.status}${m === 'HEAD' ? '' : ` ${(answer.json as { code?: string } | undefined)?.code ?? ''}`}`);
        const where = `${m} ${url} as ${kind}: ${answer.status} ${answer.text.slice(0, 300)}`;
        if (spec.access === 'public') {
          // Public whatever the token: never 401/403 (Swagger's /docs/LICENSE is a 404 of the UI package).
          expect([401, 403], where).not.toContain(answer.status);
          expect(answer.status, where).toBeLessThan(500);
        } else if (kind in BAD_TOKEN_CODE) {
          expect(answer.status, where).toBe(401);
          if (m !== 'HEAD') expect((answer.json as { code: string }).code, where).toBe(BAD_TOKEN_CODE[kind]);
        } else if (spec.access.includes(kind as Role)) {
          expect([401, 403], where).not.toContain(answer.status);
          expect(answer.status, where).toBeLessThan(500);
        } else {
          expect(answer.status, where).toBe(403);
          if (m !== 'HEAD') expect((answer.json as { code: string }).code, where).toBe('FORBIDDEN_ROLE');
        }
      }
    }
    expect(seen.length).toBe(TOKEN_KINDS.length * methods.length);
  });

  describe("a user never reaches another user's data", () => {
    const as = (sub: string) => ({ authorization: `Bearer ${t.tokens.user(sub)}` });

    it("another user's conversation is 404 to read and to write into; its owner, service and admin read it", async () => {
      const started = await send('alice starts a conversation', {
        method: 'POST',
        url: '/api/v1/conversations/messages',
        headers: as('alice'),
        payload: { text: 'I was charged twice for my subscription' },
      });
      expect(started.status, started.text).toBe(201);
      const conversationId = (started.json as { conversation_id: string }).conversation_id;

      const read = await send('bob reads it', { method: 'GET', url: `/api/v1/conversations/${conversationId}`, headers: as('bob') });
      expect(read.status).toBe(404);
      expect(read.json).toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
      expect(read.text).not.toContain('charged twice');

      const write = await send('bob writes into it', {
        method: 'POST',
        url: '/api/v1/conversations/messages',
        headers: as('bob'),
        payload: { conversation_id: conversationId, text: 'let me in' },
      });
      expect(write.status).toBe(404);
      expect(write.json).toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
      const [{ n }] = (await t.dataSource.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conversationId])) as [{ n: number }];
      expect(n).toBe(2); // alice's message and the reply, nothing of bob's

      // Another user naming alice as the user the message is for is refused outright.
      const impersonate = await send('bob writes as alice', {
        method: 'POST',
        url: '/api/v1/conversations/messages',
        headers: as('bob'),
        payload: { conversation_id: conversationId, text: 'hi', user_id: 'alice' },
      });
      expect(impersonate.status).toBe(403);
      expect(impersonate.json).toMatchObject({ code: 'FORBIDDEN_USER_ID' });

      for (const headers of [as('alice'), { authorization: `Bearer ${t.tokens.service}` }, { authorization: `Bearer ${t.tokens.admin}` }]) {
        const ok = await send('owner/service/admin read it', { method: 'GET', url: `/api/v1/conversations/${conversationId}`, headers });
        expect(ok.status, ok.text).toBe(200);
        expect(ok.json).toMatchObject({ conversation_id: conversationId, user_id: 'alice' });
      }
    });

    it("feedback on another user's prediction is 404 and changes nothing; its owner's is accepted", async () => {
      const checked = await send('alice checks a text', { method: 'POST', url: '/api/v1/safety/check', headers: as('alice'), payload: { text: 'hello there' } });
      expect(checked.status, checked.text).toBe(200);
      const predictionId = (checked.json as { prediction_id: string }).prediction_id;

      for (const payload of [{ correct: false }, { label: 'toxic' }]) {
        const res = await send("bob gives feedback on alice's prediction", { method: 'POST', url: `/api/v1/predictions/${predictionId}/feedback`, headers: as('bob'), payload });
        expect(res.status).toBe(404);
        expect(res.json).toMatchObject({ code: 'PREDICTION_NOT_FOUND' });
      }
      const [row] = (await t.dataSource.query('SELECT feedback_at, feedback_by FROM predictions WHERE id = $1', [predictionId])) as [{ feedback_at: Date | null }];
      expect(row).toEqual({ feedback_at: null, feedback_by: null });

      const own = await send('alice gives feedback', { method: 'POST', url: `/api/v1/predictions/${predictionId}/feedback`, headers: as('alice'), payload: { correct: true } });
      expect(own.status, own.text).toBe(200);
    });

    it("a user token asking for another user's variant is 403 on every route that takes a user_id", async () => {
      const variant = await send('bob asks for alice’s variant', {
        method: 'GET',
        url: '/api/v1/ab-tests/user/variant?model_type=safety_classifier&user_id=alice',
        headers: as('bob'),
      });
      expect(variant.status).toBe(403);
      expect(variant.json).toMatchObject({ code: 'FORBIDDEN_USER_ID' });

      const check = await send('bob checks as alice', { method: 'POST', url: '/api/v1/safety/check', headers: as('bob'), payload: { text: 'hi', user_id: 'alice' } });
      expect(check.status).toBe(403);
      expect(check.json).toMatchObject({ code: 'FORBIDDEN_USER_ID' });

      // Naming yourself is fine, and so is a service acting for alice.
      const own = await send('bob asks for his own', { method: 'GET', url: '/api/v1/ab-tests/user/variant?model_type=safety_classifier&user_id=bob', headers: as('bob') });
      expect(own.status, own.text).toBe(200);
      const service = await send('a service asks for alice', {
        method: 'GET',
        url: '/api/v1/ab-tests/user/variant?model_type=safety_classifier&user_id=alice',
        headers: { authorization: `Bearer ${t.tokens.service}` },
      });
      expect(service.status, service.text).toBe(200);
    });
  });

  it('every error answer seen here is the one error shape and leaks nothing', () => {
    expect(ledger.errorBodiesChecked).toBeGreaterThan(100);
    expect(ledger.failures).toEqual([]);
  });
});

/** A correctly signed token with arbitrary claims (the signing key is the app's). */
/** Well-formed (iss, aud, exp) but for the given claims: only the roles are wrong. */
function signRaw(t: TestApp, claims: Record<string, unknown>): string {
  return t.tokens.claims(claims);
}
