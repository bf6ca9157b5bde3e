import { describe, expect, it } from 'vitest';
import type { AuthUser, Role } from '../../auth/roles.js';
import { actingUserId, isUuid } from './acting-user.js';
import { ActingUserForbiddenError } from './predictions.errors.js';

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
    expect(() => actingUserId(caller('user'), 'alice')).toThrow(ActingUserForbiddenError);
  });
});

describe('isUuid', () => {
  it.each([
    ['0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11', true],
    ['0B6F6A1E-4A43-4D8E-A3A5-4F6F2F0B9D11', true],
    ['0b6f6a1e4a434d8ea3a54f6f2f0b9d11', false],
    ["1' OR '1'='1", false],
    ['', false],
  ])('%s → %s', (value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});
