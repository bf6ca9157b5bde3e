import { DomainError } from '../../common/errors/domain-error.js';

export class DatabaseNotReadyError extends DomainError {
  constructor(reason: string) {
    super('DATABASE_UNAVAILABLE', 'unavailable', `The database is not reachable: ${reason}`);
  }
}
