import { describe, expect, it } from 'vitest';
import { QueryFailedError } from 'typeorm';
import { isRetryableTransactionFailure, isUniqueViolation, sqlStateOf, uniqueViolationConstraint } from './postgres-errors.js';

/** What pg rejects with: an Error carrying the SQLSTATE and, for constraint violations, the constraint. */
function pgError(code: string, constraint?: string): Error {
  return Object.assign(new Error(`error ${code}`), { code, constraint });
}
const wrapped = (driverError: Error) => new QueryFailedError('INSERT …', [], driverError);

describe('PostgreSQL error classification', () => {
  it('reads the SQLSTATE of a pg error and of a QueryFailedError wrapping one', () => {
    expect(sqlStateOf(pgError('23503'))).toBe('23503');
    expect(sqlStateOf(wrapped(pgError('40P01')))).toBe('40P01');
    expect(sqlStateOf(new Error('plain'))).toBeUndefined();
    expect(sqlStateOf(null)).toBeUndefined();
    expect(sqlStateOf('23505')).toBeUndefined();
  });

  it('names the constraint of a unique violation, and only of one', () => {
    expect(uniqueViolationConstraint(wrapped(pgError('23505', 'uq_models_name')))).toBe('uq_models_name');
    expect(uniqueViolationConstraint(pgError('23505'))).toBe('');
    expect(uniqueViolationConstraint(wrapped(pgError('23503', 'fk_x')))).toBeNull();
    expect(isUniqueViolation(wrapped(pgError('23505', 'a')), 'a')).toBe(true);
    expect(isUniqueViolation(wrapped(pgError('23505', 'a')), 'b')).toBe(false);
    expect(isUniqueViolation(wrapped(pgError('23505', 'a')))).toBe(true);
    expect(isUniqueViolation(new Error('23505'))).toBe(false);
  });

  it('retries serialization failures and deadlocks, nothing else', () => {
    expect(isRetryableTransactionFailure(pgError('40001'))).toBe(true);
    expect(isRetryableTransactionFailure(wrapped(pgError('40P01')))).toBe(true);
    expect(isRetryableTransactionFailure(pgError('23505'))).toBe(false);
    expect(isRetryableTransactionFailure(new Error('deadlock'))).toBe(false);
  });
});
