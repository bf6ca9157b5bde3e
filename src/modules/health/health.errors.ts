import { DomainError } from '../../common/errors/domain-error.js';

/** Public (GET /health/ready is anonymous): it says what is wrong, never the driver's words (addresses, ports, users). */
export class DatabaseNotReadyError extends DomainError {
  constructor(timedOut: boolean) {
    super('DATABASE_UNAVAILABLE', timedOut ? 'The database did not answer in time' : 'The database is not reachable');
  }
}
