export const ROLES_KEY = 'model-ab:roles';

export const ROLES = ['admin', 'service', 'user'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The authenticated caller, as the JWT strategy puts it on the request. */
export interface AuthUser {
  /** The `sub` claim: the user id. */
  sub: string;
  roles: Role[];
  /** All verified claims, for /auth/me. */
  claims: Record<string, unknown>;
}

export function hasAnyRole(user: AuthUser, roles: readonly Role[]): boolean {
  return roles.some((role) => user.roles.includes(role));
}
