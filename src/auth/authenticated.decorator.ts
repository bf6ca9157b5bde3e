import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/errors/error-body.js';
import { ROLES_KEY, type Role } from './roles.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { AUTHENTICATED_ROUTE } from './authentication.hooks.js';

/**
 * Requires a valid bearer token and, when roles are given, one of them. Marks the Fastify route so
 * the token is verified before the body is read (see authentication.hooks.ts); the guard then checks
 * the roles. Also documents the bearer scheme and the 401/403 answers in OpenAPI. Method-level only.
 */
export function Authenticated(...roles: Role[]): MethodDecorator {
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    RouteConfig({ [AUTHENTICATED_ROUTE]: true }),
    UseGuards(JwtAuthGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'AUTH_REQUIRED (no token), TOKEN_INVALID (malformed or forged) or TOKEN_EXPIRED', type: ErrorBody }),
    ...(roles.length > 0 ? [ApiForbiddenResponse({ description: `FORBIDDEN_ROLE: requires role ${roles.join(' or ')}`, type: ErrorBody })] : []),
  );
}
