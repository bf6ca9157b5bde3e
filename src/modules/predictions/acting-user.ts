import { hasAnyRole, type AuthUser } from '../../auth/roles.js';
import { ActingUserForbiddenError } from './predictions.errors.js';

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
  throw new ActingUserForbiddenError();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids that are not UUIDs cannot name a row: answer 404 without asking PostgreSQL (which would fail the cast). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
