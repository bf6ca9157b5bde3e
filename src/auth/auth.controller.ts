import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Authenticated } from './authenticated.decorator.js';
import { CurrentUser } from './current-user.decorator.js';
import type { AuthUser } from './roles.js';

/** A verified token's payload: the claims this service reads, plus any others it carries. */
export class TokenClaims {
  @ApiProperty({ example: 'alice', description: 'Subject: the user or service id' })
  sub: string;

  @ApiProperty({ example: ['admin'], type: [String], description: 'admin, service or user' })
  roles: string[];

  @ApiPropertyOptional({ example: 1764201600, description: 'Issued at (seconds since the epoch)' })
  iat?: number;

  @ApiPropertyOptional({ example: 1764288000, description: 'Expires at (seconds since the epoch)' })
  exp?: number;
}

export class MeResponse {
  @ApiProperty({ example: 'alice' })
  sub: string;

  @ApiProperty({ example: ['admin'], enum: ['admin', 'service', 'user'], isArray: true })
  roles: string[];

  @ApiProperty({ type: TokenClaims, description: 'Every claim of the verified token (others than these are passed through as is)' })
  claims: Record<string, unknown>;
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: "The caller's verified token claims", description: 'Any valid token: its `sub`, `roles` and every claim it carries (`iat`, `exp`, …). Use it to check a token.' })
  @ApiOkResponse({ type: MeResponse })
  me(@CurrentUser() user: AuthUser): MeResponse {
    return { sub: user.sub, roles: user.roles, claims: user.claims };
  }
}
