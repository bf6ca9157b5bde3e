import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/auth/session-cookie.js';
import { registerModelType } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** The dashboard's sign-in: a token becomes an HttpOnly session cookie; cookie writes are same-origin only. */
describe('dashboard session', () => {
  let t: TestApp;
  let modelType: string;

  beforeAll(async () => {
    t = await createTestApp();
    modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }], 'sess');
  });
  afterAll(async () => {
    await t?.close();
  });

  const signIn = async (token: string): Promise<string> => {
    const res = await t.http().post('/api/v1/auth/session').set('authorization', `Bearer ${token}`).expect(200);
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    expect(setCookie).toHaveLength(1);
    return setCookie[0]!;
  };
  const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;

  it('POST /auth/session answers who signed in and sets an HttpOnly SameSite=Strict cookie that ends with the token', async () => {
    const token = t.tokens.for('admin', 'dora', '2h');
    const res = await t.http().post('/api/v1/auth/session').set('authorization', `Bearer ${token}`).expect(200);
    expect(res.body).toMatchObject({ sub: 'dora', roles: ['admin'] });
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=${token.replace(/\./g, '\\.')}; Path=/; Max-Age=(71\\d\\d|7200); HttpOnly; SameSite=Strict$`));
    expect(setCookie).not.toContain('Secure'); // plain HTTP here
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses to sign in with a bad token (401 in the one error shape, no cookie)', async () => {
    const res = await t.http().post('/api/v1/auth/session').set('authorization', `Bearer ${t.tokens.signedWithOtherKey()}`).expect(401);
    expect(res.body).toMatchObject({ status_code: 401, code: 'TOKEN_INVALID' });
    expect(res.headers['set-cookie']).toBeUndefined();
    const expired = await t.http().post('/api/v1/auth/session').set('authorization', `Bearer ${t.tokens.expired()}`).expect(401);
    expect(expired.body.code).toBe('TOKEN_EXPIRED');
  });

  it('the cookie authenticates reads like a bearer token, with the same roles', async () => {
    const cookie = cookieOf(await signIn(t.tokens.service));
    const me = await t.http().get('/api/v1/auth/me').set('cookie', cookie).expect(200);
    expect(me.body).toMatchObject({ sub: 'service-1', roles: ['service'] });
    await t.http().get('/api/v1/ab-tests').set('cookie', cookie).expect(200);
    const user = cookieOf(await signIn(t.tokens.user('ulla')));
    const refused = await t.http().get('/api/v1/ab-tests').set('cookie', user).expect(403);
    expect(refused.body.code).toBe('FORBIDDEN_ROLE');
  });

  it('a bearer header wins over the cookie', async () => {
    const cookie = cookieOf(await signIn(t.tokens.admin));
    const me = await t.http().get('/api/v1/auth/me').set('cookie', cookie).set('authorization', `Bearer ${t.tokens.service}`).expect(200);
    expect(me.body.roles).toEqual(['service']);
  });

  it('cookie-authenticated writes need this origin: none or another origin → 403 CSRF_REJECTED before anything changes', async () => {
    const cookie = cookieOf(await signIn(t.tokens.admin));
    const body = { name: 'csrf', model_type: modelType, variant_a: 'v1.0.0', variant_b: 'v2.0.0', traffic_split: { a: 0.5, b: 0.5 } };
    const before = await t.dataSource.query(`SELECT count(*)::int AS n FROM ab_tests`);

    const noOrigin = await t.http().post('/api/v1/ab-tests').set('cookie', cookie).send(body).expect(403);
    expect(noOrigin.body).toMatchObject({ status_code: 403, code: 'CSRF_REJECTED' });
    expect(noOrigin.body.message).toMatch(/Origin header/);
    const foreign = await t.http().post('/api/v1/ab-tests').set('cookie', cookie).set('origin', 'https://evil.example').send(body).expect(403);
    expect(foreign.body.message).toContain('https://evil.example');
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM ab_tests`)).toEqual(before);

    // The same request from a page of this origin goes through.
    const host = `127.0.0.1:${(t.app.getHttpServer().address() as { port: number } | null)?.port ?? 80}`;
    const ok = await t.http().post('/api/v1/ab-tests').set('host', host).set('cookie', cookie).set('origin', `http://${host}`).send(body);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.created_by).toBe('admin-1');
  });

  it('DELETE /auth/session clears the cookie (signed in, from this origin)', async () => {
    const cookie = cookieOf(await signIn(t.tokens.admin));
    await t.http().delete('/api/v1/auth/session').set('cookie', cookie).set('origin', 'https://evil.example').expect(403);
    await t.http().delete('/api/v1/auth/session').expect(401);
    const host = '127.0.0.1:4000';
    const res = await t.http().delete('/api/v1/auth/session').set('host', host).set('cookie', cookie).set('origin', `http://${host}`).expect(204);
    expect(String(res.headers['set-cookie'])).toBe(`${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict`);
  });
});

describe('GET /auth/session', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 200 whoever asks: signed in with a valid cookie, not signed in without one or with a bad one', async () => {
    const none = await t.http().get('/api/v1/auth/session').expect(200);
    expect(none.body).toEqual({ signed_in: false, sub: null, roles: [], provider: null, provider_sign_in_url: null });
    for (const bad of [t.tokens.expired(), t.tokens.signedWithOtherKey(), 'not.a.jwt']) {
      const res = await t.http().get('/api/v1/auth/session').set('cookie', `${SESSION_COOKIE}=${bad}`).expect(200);
      expect(res.body.signed_in).toBe(false);
    }
    const ok = await t.http().get('/api/v1/auth/session').set('cookie', `${SESSION_COOKIE}=${t.tokens.service}`).expect(200);
    expect(ok.body).toEqual({ signed_in: true, sub: 'service-1', roles: ['service'], provider: null, provider_sign_in_url: null });
  });
});
