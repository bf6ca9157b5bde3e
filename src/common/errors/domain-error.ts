import { statusOfCode, type ErrorCode } from './error-codes.js';

/**
 * Base class of every error a module throws on purpose. `code` is stable and documented in
 * ERROR_CODES (clients switch on it), and it alone decides the HTTP status; `message` is for people.
 * Each module builds its errors with static factories on one subclass (`AbTestError.notFound(id)`).
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return statusOfCode(this.code);
  }
}
