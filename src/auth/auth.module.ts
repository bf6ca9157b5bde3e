import { Global, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthController } from './auth.controller.js';
import { JwtStrategy } from './jwt.strategy.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** Global so that JwtAuthGuard, instantiated in every module that uses @Authenticated, finds the one VerifiedTokenCache. */
@Global()
@Module({
  imports: [PassportModule],
  controllers: [AuthController],
  providers: [JwtStrategy, { provide: VerifiedTokenCache, useFactory: () => new VerifiedTokenCache() }],
  exports: [VerifiedTokenCache],
})
export class AuthModule {}
