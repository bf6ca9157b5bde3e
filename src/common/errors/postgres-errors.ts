/** SQLSTATE codes the services react to (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const SQLSTATE = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
} as const;

interface DriverErrorFields {
  code?: unknown;
  constraint?: unknown;
  driverError?: { code?: unknown; constraint?: unknown };
}

/** The SQLSTATE of a pg error or of a TypeORM QueryFailedError wrapping one; undefined for anything else. */
export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as DriverErrorFields;
  const code = e.code ?? e.driverError?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The constraint a unique violation hit ('' when PostgreSQL did not name one), or null for any other error. */
export function uniqueViolationConstraint(error: unknown): string | null {
  if (sqlStateOf(error) !== SQLSTATE.UNIQUE_VIOLATION) return null;
  const e = error as DriverErrorFields;
  const constraint = e.driverError?.constraint ?? e.constraint;
  return typeof constraint === 'string' ? constraint : '';
}

/** A unique violation, of `constraint` when given. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const hit = uniqueViolationConstraint(error);
  return hit !== null && (constraint === undefined || hit === constraint);
}

/** A serialization failure or deadlock: the transaction was rolled back and may simply be run again. */
export function isRetryableTransactionFailure(error: unknown): boolean {
  const code = sqlStateOf(error);
  return code === SQLSTATE.SERIALIZATION_FAILURE || code === SQLSTATE.DEADLOCK_DETECTED;
}
