import { Global, Module } from '@nestjs/common';
import { AuthController } from './auth.controller.js';
import { Authenticator } from './authenticator.js';
import { JwtStrategy } from './jwt.strategy.js';
import { OidcKeys } from './oidc-keys.js';
import { SessionController } from './session.controller.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** Global: every module's @Authenticated() routes use its guard, which needs the Authenticator. */
@Global()
@Module({
  controllers: [AuthController, SessionController],
  providers: [{ provide: VerifiedTokenCache, useFactory: () => new VerifiedTokenCache() }, OidcKeys, JwtStrategy, Authenticator],
  exports: [Authenticator],
})
export class AuthModule {}
