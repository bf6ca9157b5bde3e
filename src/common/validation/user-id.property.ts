import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { MAX_USER_ID_LENGTH } from './user-id.js';

/**
 * The optional `user_id` of a request body that names the end user a service or admin token acts
 * for: its Swagger schema (1 to MAX_USER_ID_LENGTH characters) and its validation, from one place.
 */
export function ActingUserIdProperty(description: string): PropertyDecorator {
  // Listed bottom-up, as they were stacked on the property, so validation problems keep their order.
  return applyDecorators(
    Length(1, MAX_USER_ID_LENGTH),
    IsString(),
    IsOptional(),
    ApiPropertyOptional({ example: 'user-42', description, minLength: 1, maxLength: MAX_USER_ID_LENGTH }),
  );
}
