import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { MODEL_TYPE_PATTERN } from './create-ab-test.dto.js';
import { MAX_USER_ID_LENGTH } from '../../../common/validation/user-id.js';

export interface UserVariantQuery {
  model_type: string;
  user_id?: string;
}

export interface QueryProblem {
  field: string;
  problems: string[];
}

const ALLOWED = new Set(['model_type', 'user_id']);

/**
 * The problems of a `GET /ab-tests/user/variant` query string, in the global ValidationPipe's
 * terms (same fields, same wording), or an empty list. Hand-written rather than a class-validator
 * DTO: this is the hot route, and class-transformer + class-validator were ~9% of its server CPU.
 */
export function userVariantQueryProblems(query: Record<string, unknown>): QueryProblem[] {
  const problems: QueryProblem[] = [];
  for (const key of Object.keys(query)) {
    if (!ALLOWED.has(key)) problems.push({ field: key, problems: [`property ${key} should not exist`] });
  }
  const modelType = query.model_type;
  if (typeof modelType !== 'string' || !MODEL_TYPE_PATTERN.test(modelType)) {
    problems.push({ field: 'model_type', problems: ['model_type must be a model type name (lower_snake_case)'] });
  }
  const userId = query.user_id;
  if (userId !== undefined && (typeof userId !== 'string' || userId.length < 1 || userId.length > MAX_USER_ID_LENGTH)) {
    problems.push({ field: 'user_id', problems: [`user_id must be a string of 1 to ${MAX_USER_ID_LENGTH} characters`] });
  }
  return problems;
}

/** Validates the query of `GET /ab-tests/user/variant` (400 VALIDATION_FAILED like every other route). */
@Injectable()
export class UserVariantQueryPipe implements PipeTransform<Record<string, unknown>, UserVariantQuery> {
  transform(query: Record<string, unknown>): UserVariantQuery {
    const problems = userVariantQueryProblems(query ?? {});
    if (problems.length > 0) {
      const message = problems.map((p) => p.problems.join('; ')).join('; ');
      throw new BadRequestException({ message, code: 'VALIDATION_FAILED', details: problems });
    }
    // Checked above: exactly model_type and perhaps user_id, both strings. No copy on the hot route.
    return query as unknown as UserVariantQuery;
  }
}
