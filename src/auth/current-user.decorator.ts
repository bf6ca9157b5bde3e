import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthUser } from './roles.js';

/** The authenticated caller (only on routes behind @Authenticated). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthUser => {
  return context.switchToHttp().getRequest<{ user: AuthUser }>().user;
});
