import { DomainError } from '../common/errors/domain-error.js';
import { hasAnyRole, type AuthUser } from './roles.js';

/** Callers that may act for any user and read anyone's predictions and conversations. */
export const PRIVILEGED_ROLES = ['service', 'admin'] as const;

export function isPrivileged(caller: AuthUser): boolean {
  return hasAnyRole(caller, PRIVILEGED_ROLES);
}

/** A `user` token asked to act for someone else (only service and admin tokens may pass user_id). */
export class ActingUserForbiddenError extends DomainError {
  constructor() {
    super('FORBIDDEN_USER_ID', 'A user token can only act for itself; user_id needs a service or admin token');
  }
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
