import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Authenticated } from './authenticated.decorator.js';
import { CurrentUser } from './current-user.decorator.js';
import type { AuthUser } from './roles.js';

export class MeResponse {
  @ApiProperty({ example: 'alice' })
  sub: string;

  @ApiProperty({ example: ['admin'], enum: ['admin', 'service', 'user'], isArray: true })
  roles: string[];

  @ApiProperty({ example: { sub: 'alice', roles: ['admin'], iat: 1764201600, exp: 1764288000 } })
  claims: Record<string, unknown>;
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: "The caller's verified token claims" })
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentUser() user: AuthUser): MeResponse {
    return { sub: user.sub, roles: user.roles, claims: user.claims };
  }
}
