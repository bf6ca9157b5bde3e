/**
 * The verified-token cache keeps the guard's behaviour: a token answered from memory still expires
 * at its exp (401 TOKEN_EXPIRED in the one error shape), a token differing in its signature is
 * verified (and refused) on its own, and roles are checked on every request.
 */
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../../src/auth/verified-token-cache.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('verified-token cache', () => {
  let t: TestApp;
  let cache: VerifiedTokenCache;

  beforeAll(async () => {
    t = await createTestApp();
    cache = t.app.get(VerifiedTokenCache);
  });
  afterAll(async () => {
    await t?.close();
  });

  const me = (token: string) => t.http().get('/api/v1/auth/me').set('authorization', `Bearer ${token}`);

  it('a remembered token expires at its exp like any other', async () => {
    const token = t.tokens.for('user', 'brief', 2); // a lifetime of 2 s
    const exp = (jwt.decode(token) as { exp: number }).exp;
    await me(token).expect(200);
    expect(cache.get(token)?.sub).toBe('brief');
    await me(token).expect(200); // from memory
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    const res = await me(token).expect(401);
    expect(res.body).toEqual({ status_code: 401, error: 'Unauthorized', message: 'The bearer token has expired', code: 'TOKEN_EXPIRED' });
  });

  it('the same claims with another signature are verified on their own and refused', async () => {
    const token = t.tokens.user('sig-user');
    await me(token).expect(200);
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(32, 7).toString('base64url')}`;
    const res = await me(forged).expect(401);
    expect(res.body.code).toBe('TOKEN_INVALID');
  });

  it('roles are checked on every request, remembered token or not', async () => {
    const token = t.tokens.user('plain-user');
    await me(token).expect(200);
    expect(cache.get(token)).toBeDefined();
    const res = await t.http().get('/api/v1/ab-tests').set('authorization', `Bearer ${token}`).expect(403);
    expect(res.body.code).toBe('FORBIDDEN_ROLE');
  });
});
