import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/errors/error-body.js';
import { ROLES_KEY, type Role } from './roles.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';

/**
 * Requires a valid bearer token and, when roles are given, one of them. Also documents the
 * bearer scheme and the 401/403 answers in OpenAPI.
 */
export function Authenticated(...roles: Role[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    UseGuards(JwtAuthGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, malformed, expired or forged token', type: ErrorBody }),
    ...(roles.length > 0 ? [ApiForbiddenResponse({ description: `Requires role: ${roles.join(' or ')}`, type: ErrorBody })] : []),
  );
}
