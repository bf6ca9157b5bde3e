import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';

/**
 * Verifies a token when there is one, like JwtAuthGuard, but lets every request through: the
 * caller is `null` without a usable token. For routes that answer "who am I, if anyone".
 */
@Injectable()
export class OptionalJwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<TUser>(_error: unknown, user: TUser): TUser {
    return (user || null) as TUser;
  }
}
