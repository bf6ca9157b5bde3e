import { describe, expect, it } from 'vitest';
import { MAX_AUTHORIZATION_LENGTH, tokenFromRequest } from './request-token.js';

const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';
const read = (authorization?: string | string[]) => tokenFromRequest({ headers: { authorization } });

describe('tokenFromRequest', () => {
  it.each([`Bearer ${jwt}`, `bearer ${jwt}`, `BEARER  ${jwt} `, `Bearer\t${jwt}`, ` Bearer ${jwt}\t`])('%j carries the token', (header) => {
    expect(read(header)).toEqual({ kind: 'token', token: jwt });
  });

  it('no header is missing', () => {
    expect(read(undefined)).toEqual({ kind: 'missing' });
    expect(read('')).toEqual({ kind: 'missing' });
  });

  it.each([
    ['no scheme', jwt, /must be "Bearer <token>"/],
    ['another scheme', 'Basic YWxpY2U6c2VjcmV0', /must be "Bearer <token>"/],
    ['a scheme glued to the token', `Bearer${jwt}`, /must be "Bearer <token>"/],
    ['only the scheme', 'Bearer ', /must be "Bearer <token>"/],
    ['two values', `Bearer ${jwt} ${jwt}`, /not a JWT/],
    ['two parts', 'Bearer abc.def', /not a JWT/],
    ['other characters', 'Bearer a+b.c/d.e=', /not a JWT/],
    ['a repeated header', [`Bearer ${jwt}`, `Bearer ${jwt}`], /one Authorization header/],
    ['a header over the limit', `Bearer ${'a'.repeat(MAX_AUTHORIZATION_LENGTH)}`, /longer than 8192/],
  ])('%s is malformed', (_what, header, reason) => {
    const result = read(header);
    expect(result.kind).toBe('malformed');
    expect(result.kind === 'malformed' && result.reason).toMatch(reason);
  });

  it('stays linear on the inputs that made the old regex quadratic', () => {
    const started = performance.now();
    for (let i = 0; i < 1000; i++) read('a'.repeat(MAX_AUTHORIZATION_LENGTH));
    for (let i = 0; i < 1000; i++) read(`Bearer ${'a'.repeat(MAX_AUTHORIZATION_LENGTH - 10)}`);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
