import { describe, expect, it } from 'vitest';
import type { AuthUser, Role } from './roles.js';
import { actingUserId } from './acting-user.js';
import { AuthError } from './auth.errors.js';

const caller = (role: Role, sub = `${role}-1`): AuthUser => ({ sub, roles: [role], claims: {} });

describe('actingUserId', () => {
  it.each([
    ['user', undefined, 'user-1'],
    ['user', 'user-1', 'user-1'],
    ['service', undefined, 'service-1'],
    ['service', 'alice', 'alice'],
    ['admin', 'alice', 'alice'],
  ] as const)('%s token with user_id %s acts for %s', (role, requested, expected) => {
    expect(actingUserId(caller(role), requested)).toBe(expected);
  });

  it('refuses a user token naming someone else', () => {
    expect(() => actingUserId(caller('user'), 'alice')).toThrow(AuthError.forbiddenUserId());
    expect(() => actingUserId(caller('user'), 'alice')).toThrow(expect.objectContaining({ code: 'FORBIDDEN_USER_ID', status: 403 }));
  });
});
