import { Injectable } from '@nestjs/common';
import passport from 'passport';
import { AuthError } from './auth.errors.js';
import { JwtStrategy } from './jwt.strategy.js';
import { tokenFromRequest } from './request-token.js';
import type { AuthUser } from './roles.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

type RequestLike = Parameters<typeof tokenFromRequest>[0] & { user?: AuthUser };

/**
 * Verifies a request's token through passport and the JWT strategy, once per request: the
 * authentication hook calls it before the body is read and the guard reuses the outcome.
 *
 * Each app has its own passport instance holding its own strategy, so two apps in one process
 * (tests) never verify with each other's keys.
 *
 * Tokens it verified are remembered (VerifiedTokenCache: keyed by the whole token, until its `exp`,
 * dropped when the provider's keys are re-read), so a client sending the same token on every
 * request pays for passport and the signature check once.
 */
@Injectable()
export class Authenticator {
  private readonly passport = new passport.Passport();

  constructor(
    strategy: JwtStrategy,
    private readonly verifiedTokens: VerifiedTokenCache,
  ) {
    this.passport.use('jwt', strategy as unknown as passport.Strategy);
  }

  /** The caller of a token verified before and not expired since, synchronously; else undefined. */
  remembered(request: RequestLike): AuthUser | undefined {
    const read = tokenFromRequest(request);
    return read.kind === 'token' ? this.verifiedTokens.get(read.token) : undefined;
  }

  /** The verified caller; throws AuthError (401, or 503 when the identity provider is unreachable). */
  authenticate(request: RequestLike): Promise<AuthUser> {
    const read = tokenFromRequest(request);
    if (read.kind === 'missing') return Promise.reject(AuthError.missingToken());
    if (read.kind === 'malformed') return Promise.reject(AuthError.invalidToken(read.reason));
    const known = this.verifiedTokens.get(read.token);
    if (known !== undefined) return Promise.resolve(known);
    const epoch = this.verifiedTokens.epoch;
    const verified = new Promise<AuthUser>((resolve, reject) => {
      const callback = (error: unknown, user: AuthUser | false, info: unknown) => {
        if (error) reject(error instanceof AuthError ? error : AuthError.invalidToken('verification failed'));
        else if (user) resolve(user);
        else reject(failure(info));
      };
      this.passport.authenticate('jwt', { session: false }, callback)(request, null, (error: unknown) => reject(error ?? AuthError.invalidToken('verification failed')));
    });
    return verified.then((user) => {
      this.verifiedTokens.remember(read.token, user, epoch);
      return user;
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
