import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthUser, Role } from './roles.js';
import { hasAnyRole, ROLES_KEY } from './roles.js';
import { AuthError } from './auth.errors.js';
import { Authenticator } from './authenticator.js';

/**
 * The route's roles, checked against the caller the authentication hook verified before the body
 * was read (a request that reaches the guard without one — a route not marked by @Authenticated —
 * is verified here). Missing, malformed, expired or forged tokens → 401; wrong role → 403.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
  ) {}

  /** Synchronous when the hook has verified the caller: Nest awaits a guard only when it returns a promise. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ user?: AuthUser; headers: Record<string, string | string[] | undefined> }>();
    if (request.user !== undefined) return this.checkRoles(context, request.user);
    return this.authenticator.authenticate(request).then((user) => this.checkRoles(context, (request.user = user)));
  }

  private checkRoles(context: ExecutionContext, user: AuthUser): true {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (required && required.length > 0 && !hasAnyRole(user, required)) throw AuthError.forbidden(required);
    return true;
  }
}
