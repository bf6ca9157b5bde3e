import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { AuthUser, Role } from './roles.js';
import { hasAnyRole, ROLES_KEY } from './roles.js';
import { AuthError } from './auth.errors.js';
import { bearerToken, VerifiedTokenCache } from './verified-token-cache.js';

interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: AuthUser;
}

/**
 * Verifies the bearer token (passport-jwt) and then the route's roles, in one guard so a request
 * pays for one guard pass. Missing, malformed, expired or forged tokens → 401; wrong role → 403.
 * A token verified before (and not expired since) is answered from the VerifiedTokenCache without
 * running passport again.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifiedTokens: VerifiedTokenCache,
  ) {
    super();
  }

  /**
   * Synchronous for a remembered token: Nest awaits a guard only when it returns a promise, so the
   * common case costs no promise and no microtask.
   */
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthRequest>();
    const token = bearerToken(request.headers.authorization);
    const remembered = token === null ? undefined : this.verifiedTokens.get(token);
    if (remembered !== undefined) {
      request.user = remembered;
      return this.checkRoles(context, remembered);
    }
    return (super.canActivate(context) as Promise<boolean>).then(() => {
      const user = request.user!;
      if (token !== null) this.verifiedTokens.remember(token, user);
      return this.checkRoles(context, user);
    });
  }

  private checkRoles(context: ExecutionContext, user: AuthUser): true {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (required && required.length > 0 && !hasAnyRole(user, required)) throw AuthError.forbidden(required);
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser, info: unknown): TUser {
    if (error) throw error instanceof AuthError ? error : AuthError.invalidToken('verification failed');
    if (user) return user;
    const name = info instanceof Error ? info.name : '';
    const message = info instanceof Error ? info.message : '';
    if (name === 'TokenExpiredError') throw AuthError.expiredToken();
    if (message === 'No auth token') throw AuthError.missingToken();
    throw AuthError.invalidToken(message || 'verification failed');
  }
}
