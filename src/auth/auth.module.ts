import { Global, Module } from '@nestjs/common';
import { AuthController } from './auth.controller.js';
import { Authenticator } from './authenticator.js';
import { JwtStrategy } from './jwt.strategy.js';
import { OidcKeys } from './oidc-keys.js';
import { OidcSignInController } from './oidc-sign-in.controller.js';
import { OidcSignIn } from './oidc-sign-in.service.js';
import { SessionController } from './session.controller.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** Global: every module's @Authenticated() routes use its guard, which needs the Authenticator. */
@Global()
@Module({
  controllers: [AuthController, SessionController, OidcSignInController],
  providers: [{ provide: VerifiedTokenCache, useFactory: () => new VerifiedTokenCache() }, OidcKeys, JwtStrategy, Authenticator, OidcSignIn],
  exports: [Authenticator],
})
export class AuthModule {}
