import { describe, expect, it } from 'vitest';
import { rateLimitKey } from './write-rate-limit.js';

describe('rateLimitKey', () => {
  it.each([
    [{ sub: 'alice', roles: ['user'] }, 'user:alice', 'user'],
    [{ sub: 'alice', roles: ['service'] }, 'service:alice', 'service'],
    [{ sub: 'alice', roles: ['user', 'admin'] }, 'service:alice', 'service'],
    [undefined, 'ip:192.0.2.1', 'anonymous'],
  ])('%j → %s', (caller, key, callerClass) => {
    expect(rateLimitKey(caller, '192.0.2.1')).toEqual({ key, callerClass });
  });

  it('a sub that looks like an address key stays in the identity partition', () => {
    expect(rateLimitKey({ sub: 'ip:192.0.2.1', roles: ['user'] }, '10.0.0.1').key).toBe('user:ip:192.0.2.1');
  });
});
