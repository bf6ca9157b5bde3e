import { describe, expect, it } from 'vitest';
import { claimsServiceRole, credentialsOf } from './write-rate-limit.js';

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (payload: object) => `${encode({ alg: 'HS256' })}.${encode(payload)}.signature`;

describe('credentialsOf', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER  abc ', 'abc'],
    ['Bearer\tabc', 'abc'],
    ['Basic abc', 'Basic abc'],
    ['abc', 'abc'],
  ])('%j → %j', (header, expected) => {
    expect(credentialsOf(header)).toBe(expected);
  });
});

describe('claimsServiceRole', () => {
  it.each([
    [token({ roles: ['service'] }), true],
    [token({ roles: ['user', 'admin'] }), true],
    [token({ roles: ['user'] }), false],
    [token({ roles: 'service' }), false],
    [token({}), false],
    ['not-a-jwt', false],
    ['a.!!!.c', false],
  ])('%s → %s', (value, expected) => {
    expect(claimsServiceRole(value)).toBe(expected);
  });
});
