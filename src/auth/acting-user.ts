import { AuthError } from './auth.errors.js';
import { hasAnyRole, type AuthUser } from './roles.js';

/** Callers that may act for any user and read anyone's predictions and conversations. */
export const PRIVILEGED_ROLES = ['service', 'admin'] as const;

export function isPrivileged(caller: AuthUser): boolean {
  return hasAnyRole(caller, PRIVILEGED_ROLES);
}

/**
 * The user a request is made for: the token's `sub`, or `user_id` when a service (or admin) token
 * acts for an end user. A `user` token may only name itself.
 */
export function actingUserId(caller: AuthUser, requestedUserId: string | undefined): string {
  if (requestedUserId === undefined || requestedUserId === caller.sub) return caller.sub;
  if (isPrivileged(caller)) return requestedUserId;
  throw AuthError.forbiddenUserId();
}
