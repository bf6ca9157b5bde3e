import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthController } from './auth.controller.js';
import { JwtStrategy } from './jwt.strategy.js';
import { SessionController } from './session.controller.js';

@Module({
  imports: [PassportModule],
  controllers: [AuthController, SessionController],
  providers: [JwtStrategy],
})
export class AuthModule {}
