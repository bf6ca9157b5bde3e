import { describe, expect, it } from 'vitest';
import { clearedSessionCookie, csrfRejection, sessionCookie, sessionTokenOf } from './session-cookie.js';

describe('sessionTokenOf', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['model_ab_session=abc', 'abc'],
    ['theme=dark; model_ab_session=a.b.c; other=1', 'a.b.c'],
    ['xmodel_ab_session=abc', null],
    ['model_ab_session=', null],
  ])('%j → %j', (header, expected) => {
    expect(sessionTokenOf(header)).toBe(expected);
  });
});

describe('session cookie attributes', () => {
  it('is HttpOnly, SameSite=Strict, for the whole site, ending with the token; Secure over HTTPS only', () => {
    expect(sessionCookie({ token: 't', maxAgeSeconds: 3600.7, secure: false })).toBe('model_ab_session=t; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict');
    expect(sessionCookie({ token: 't', maxAgeSeconds: -5, secure: true })).toBe('model_ab_session=t; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure');
    expect(clearedSessionCookie(false)).toBe('model_ab_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict');
  });
});

describe('csrfRejection', () => {
  const request = (method: string, headers: Record<string, string>) => ({ method, headers, protocol: 'http' as const, host: 'localhost:3000' });
  const cookie = 'model_ab_session=t';

  it.each([
    ['a read with the cookie', request('GET', { cookie }), false],
    ['a same-origin write with the cookie', request('POST', { cookie, origin: 'http://localhost:3000' }), false],
    ['a write with a bearer token (no cookie in play)', request('POST', { cookie, authorization: 'Bearer x', origin: 'https://evil.example' }), false],
    ['a write without any credentials', request('POST', { origin: 'https://evil.example' }), false],
    ['a cookie write from another origin', request('POST', { cookie, origin: 'https://evil.example' }), true],
    ['a cookie write from another port of the same host', request('PATCH', { cookie, origin: 'http://localhost:3001' }), true],
    ['a cookie write over the other scheme', request('DELETE', { cookie, origin: 'https://localhost:3000' }), true],
    ['a cookie write without an Origin header', request('POST', { cookie }), true],
  ])('%s → rejected: %s', (_name, input, rejected) => {
    expect(csrfRejection(input) !== null).toBe(rejected);
  });
});
