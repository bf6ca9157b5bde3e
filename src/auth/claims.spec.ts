import { describe, expect, it } from 'vitest';
import { authUserFromClaims, localRoles, providerRoles, type ClaimsPolicy } from './claims.js';

const NOW = 1_800_000_000;
const policy: ClaimsPolicy = { issuer: 'model-ab', audience: 'model-ab', maxTtlSeconds: 3600, roles: localRoles, rolesClaim: 'roles' };
const good = { sub: 'alice', roles: ['user'], iss: 'model-ab', aud: 'model-ab', iat: NOW, exp: NOW + 3600 };

describe('authUserFromClaims', () => {
  it('accepts a well-formed token and keeps every claim', () => {
    expect(authUserFromClaims(good, policy, NOW)).toEqual({ sub: 'alice', roles: ['user'], claims: good });
    expect(authUserFromClaims({ ...good, aud: ['x', 'model-ab'] }, policy, NOW).sub).toBe('alice');
  });

  it.each([
    ['no exp', { exp: undefined }, /no "exp"/],
    ['a lifetime over the cap', { exp: NOW + 3600 + 61 }, /lifetime is longer/],
    ['an iat in the future to hide a long lifetime', { iat: NOW + 10 * 86_400, exp: NOW + 10 * 86_400 + 60 }, /lifetime is longer/],
    ['no iat and an exp past the cap', { iat: undefined, exp: NOW + 7200 }, /lifetime is longer/],
    ['another issuer', { iss: 'other' }, /"iss"/],
    ['no issuer', { iss: undefined }, /"iss"/],
    ['another audience', { aud: ['other'] }, /"aud"/],
    ['no audience', { aud: undefined }, /"aud"/],
    ['no sub', { sub: undefined }, /"sub"/],
    ['a sub with NUL', { sub: 'a\u0000' }, /"sub"/],
    ['a sub with DEL', { sub: 'a\u007f' }, /"sub"/],
    ['a sub with a lone surrogate', { sub: 'a\udc00' }, /"sub"/],
    ['a sub of 201 characters', { sub: 'a'.repeat(201) }, /"sub"/],
    ['no roles', { roles: [] }, /grants none of the roles/],
    ['an unknown role', { roles: ['user', 'root'] }, /grants none of the roles/],
  ])('refuses %s', (_what, override, message) => {
    expect(() => authUserFromClaims({ ...good, ...override }, policy, NOW)).toThrow(message);
  });
});

describe('providerRoles', () => {
  it('reads a dotted path and maps provider roles', () => {
    const roles = providerRoles('realm_access.roles', { 'ml-admin': 'admin', 'ml-user': 'user' });
    expect(roles({ realm_access: { roles: ['offline_access', 'ml-user', 'ml-admin'] } })).toEqual(['user', 'admin']);
    expect(roles({ realm_access: {} })).toEqual([]);
    expect(roles({})).toEqual([]);
  });

  it('without a map keeps provider roles named like ours; a string is split like a scope', () => {
    expect(providerRoles('roles', null)({ roles: ['service', 'Admin', 7] })).toEqual(['service']);
    expect(providerRoles('scp', null)({ scp: 'openid user' })).toEqual(['user']);
  });

  it('does not walk into prototypes', () => {
    expect(providerRoles('constructor.name', null)({})).toEqual([]);
    expect(providerRoles('roles', { toString: 'admin' } as Record<string, 'admin'>)({ roles: ['hasOwnProperty'] })).toEqual([]);
  });
});
