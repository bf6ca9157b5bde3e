import { type ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/** Flattens class-validator's nested errors into "events.3.variant must be one of a, b" lines. */
function flatten(errors: ValidationError[], parent = ''): Array<{ field: string; problems: string[] }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Deeper than any request of this API; class-transformer recurses per level and overflows the stack near a few thousand. */
const MAX_NESTING = 32;

interface ValueProblem {
  path: string[];
  problem: string;
}

/**
 * The first thing in a request value that no field of any route may hold, checked before
 * class-transformer and class-validator see it: a NUL character (PostgreSQL cannot store U+0000 in
 * text or jsonb, so the query would fail after part of the work is done), an unpaired surrogate
 * (likewise refused by jsonb) or nesting deeper than
 * MAX_NESTING (the recursion here stops there, so it cannot overflow either). Cheap: a
 * 10,000-event metric batch costs well under a millisecond.
 */
function unacceptableValue(value: unknown, depth: number): ValueProblem | null {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { path: [], problem: 'must not contain NUL (\\u0000) characters' };
    // An unpaired surrogate (\ud800) is not text: jsonb refuses it, text columns would store U+FFFD instead.
    return (value as string & { isWellFormed(): boolean }).isWellFormed() ? null : { path: [], problem: 'must not contain unpaired UTF-16 surrogates' };
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_NESTING) return { path: [], problem: `is nested more than ${MAX_NESTING} levels deep` };
  const check = (key: string, item: unknown): ValueProblem | null => {
    if (typeof item !== 'string' && (item === null || typeof item !== 'object')) return null;
    const found = unacceptableValue(item, depth + 1);
    found?.path.unshift(key);
    return found;
  };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = check(String(i), value[i]);
      if (found) return found;
    }
    return null;
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (key.includes('\u0000')) return { path: [], problem: 'must not have a property name with a NUL (\\u0000) character' };
    const found = check(key, (value as Record<string, unknown>)[key]);
    if (found) return found;
  }
  return null;
}

/**
 * Throws the pipe's 400 VALIDATION_FAILED for a value no route may hold (see unacceptableValue). For
 * a route that reads its input without the global pipe (the variant route takes the request).
 */
export function assertAcceptableValue(value: unknown, metadata: Pick<ArgumentMetadata, 'type' | 'data'>): void {
  const found = metadata.type === 'custom' ? null : unacceptableValue(value, 0);
  if (found) {
    const field = [...(metadata.type !== 'body' && metadata.data ? [metadata.data] : []), ...found.path].join('.') || metadata.type;
    const problems = [`${field} ${found.problem}`];
    throw new BadRequestException({ message: problems[0], code: 'VALIDATION_FAILED', details: [{ field, problems }] });
  }
}

class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    assertAcceptableValue(value, metadata);
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

export function validationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const message = details.map((d) => d.problems.map((p) => (p.startsWith(d.field) ? p : `${d.field}: ${p}`)).join('; ')).join('; ');
      return new BadRequestException({ message: message || 'The request is not valid', code: 'VALIDATION_FAILED', details });
    },
  });
}
