import { DomainError } from '../../common/errors/domain-error.js';

/** Errors of the health module; `code` is stable (clients switch on it). */
export class HealthError extends DomainError {
  /** Public (GET /health/ready is anonymous): it says what is wrong, never the driver's words (addresses, ports, users). */
  static databaseNotReady(timedOut: boolean): HealthError {
    return new HealthError('DATABASE_UNAVAILABLE', timedOut ? 'The database did not answer in time' : 'The database is not reachable');
  }
}
