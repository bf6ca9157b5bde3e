import { AuthError } from './auth.errors.js';
import { isRole, type AuthUser, type Role } from './roles.js';

/** What a verified token's claims must satisfy, per issuer (the local secret or an OpenID provider). */
export interface ClaimsPolicy {
  issuer: string;
  audience: string;
  /** Longest accepted lifetime, exp − iat (or exp − now when iat is missing or later), in seconds. */
  maxTtlSeconds: number;
  /** The caller's roles from the claims; an empty list is refused. */
  roles: (claims: Record<string, unknown>) => Role[];
  /** Named in error messages ("the roles claim realm_access.roles …"). */
  rolesClaim: string;
}

/** Longest user id accepted (the user id columns are varchar(255); 200 leaves room for prefixes). */
export const MAX_SUB_LENGTH = 200;
/** Clock skew tolerated on the lifetime check. */
const LEEWAY_SECONDS = 60;

// C0 controls (NUL included), DEL and C1 controls: PostgreSQL refuses NUL in text, and none belongs in a user id.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** No lone surrogates (String.prototype.isWellFormed, which the compiler's lib target does not declare). */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * The caller a signature-verified token names, after the checks jsonwebtoken does not make by
 * default: `exp` present and within the lifetime cap, `iss` and `aud` as configured, a usable
 * `sub` and at least one role. Throws AuthError (401 TOKEN_INVALID) naming the first failed check.
 */
export function authUserFromClaims(claims: Record<string, unknown>, policy: ClaimsPolicy, nowSeconds = Math.floor(Date.now() / 1000)): AuthUser {
  const { exp, iat, iss, aud, sub } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw AuthError.invalidToken('the token has no "exp" (expiry) claim');
  const issuedAt = typeof iat === 'number' && Number.isFinite(iat) ? Math.min(iat, nowSeconds) : nowSeconds;
  if (exp - issuedAt > policy.maxTtlSeconds + LEEWAY_SECONDS) {
    throw AuthError.invalidToken(`the token's lifetime is longer than the ${policy.maxTtlSeconds} s this service accepts (JWT_MAX_TTL)`);
  }
  if (iss !== policy.issuer) throw AuthError.invalidToken('the token was not issued for this service ("iss")');
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(policy.audience)) throw AuthError.invalidToken('the token is not meant for this service ("aud")');
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUB_LENGTH || CONTROL_CHARACTERS.test(sub) || !isWellFormed(sub)) {
    throw AuthError.invalidToken(`the token's "sub" must be 1 to ${MAX_SUB_LENGTH} characters of text without control characters`);
  }
  const roles = policy.roles(claims);
  if (roles.length === 0) {
    throw AuthError.invalidToken(`the token's "${policy.rolesClaim}" claim grants none of the roles admin, service or user`);
  }
  return { sub, roles, claims };
}

/** Local tokens: `roles` must be a non-empty list of admin, service or user, nothing else. */
export function localRoles(claims: Record<string, unknown>): Role[] {
  const roles = claims.roles;
  return Array.isArray(roles) && roles.length > 0 && roles.every(isRole) ? [...new Set(roles)] : [];
}

/**
 * Provider tokens: the roles at a dotted claim path (a list, or a space-separated string as in
 * `scope`), mapped through `roleMap` (unmapped provider roles are ignored; without a map, provider
 * roles named admin, service or user count as such).
 */
export function providerRoles(path: string, roleMap: Record<string, Role> | null): (claims: Record<string, unknown>) => Role[] {
  const segments = path.split('.');
  return (claims) => {
    let value: unknown = claims;
    for (const segment of segments) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return [];
      value = (value as Record<string, unknown>)[segment];
    }
    const names = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value : [];
    const roles = new Set<Role>();
    for (const name of names) {
      if (typeof name !== 'string') continue;
      const role = roleMap ? (Object.hasOwn(roleMap, name) ? roleMap[name] : undefined) : isRole(name) ? name : undefined;
      if (role) roles.add(role);
    }
    return [...roles];
  };
}
