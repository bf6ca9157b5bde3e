import { Injectable } from '@nestjs/common';
import passport from 'passport';
import { AuthError } from './auth.errors.js';
import { JwtStrategy } from './jwt.strategy.js';
import { tokenFromRequest } from './request-token.js';
import type { AuthUser } from './roles.js';

type RequestLike = Parameters<typeof tokenFromRequest>[0] & { user?: AuthUser };

/**
 * Verifies a request's token through passport and the JWT strategy, once per request: the
 * authentication hook calls it before the body is read and the guard reuses the outcome.
 *
 * Each app has its own passport instance holding its own strategy, so two apps in one process
 * (tests) never verify with each other's keys.
 */
@Injectable()
export class Authenticator {
  private readonly passport = new passport.Passport();

  constructor(strategy: JwtStrategy) {
    this.passport.use('jwt', strategy as unknown as passport.Strategy);
  }

  /** The verified caller; throws AuthError (401, or 503 when the identity provider is unreachable). */
  authenticate(request: RequestLike): Promise<AuthUser> {
    const read = tokenFromRequest(request);
    if (read.kind === 'missing') return Promise.reject(AuthError.missingToken());
    if (read.kind === 'malformed') return Promise.reject(AuthError.invalidToken(read.reason));
    return new Promise<AuthUser>((resolve, reject) => {
      const callback = (error: unknown, user: AuthUser | false, info: unknown) => {
        if (error) reject(error instanceof AuthError ? error : AuthError.invalidToken('verification failed'));
        else if (user) resolve(user);
        else reject(failure(info));
      };
      this.passport.authenticate('jwt', { session: false }, callback)(request, null, (error: unknown) => reject(error ?? AuthError.invalidToken('verification failed')));
    });
  }
}

/** A strategy failure (the `info` passport reports) as the error the caller gets. */
function failure(info: unknown): AuthError {
  if (info instanceof AuthError) return info;
  const name = info instanceof Error ? info.name : '';
  const message = info instanceof Error ? info.message : '';
  if (name === 'TokenExpiredError') return AuthError.expiredToken();
  if (message === 'No auth token') return AuthError.missingToken();
  return AuthError.invalidToken(message || 'verification failed');
}
