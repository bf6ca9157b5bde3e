import { Injectable, Logger } from '@nestjs/common';
import { describeError } from '../../common/logging/describe-error.js';
import { DatabaseHealth, DatabasePingError } from '../../database/database-health.js';
import { HealthError } from './health.errors.js';

const READY_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');
  /** The last failure logged, so a probe polling a down database logs the cause once, not every time. */
  private lastFailure: string | null = null;

  constructor(private readonly database: DatabaseHealth) {}

  /**
   * Runs SELECT 1 with a deadline; returns its round trip in ms or throws HealthError.databaseNotReady.
   * The cause (driver message, address) goes to the log only.
   */
  async checkDatabase(): Promise<number> {
    let roundTripMs: number;
    try {
      roundTripMs = await this.database.ping(READY_TIMEOUT_MS);
    } catch (error) {
      const cause = describeError(error instanceof DatabasePingError ? error.cause : error);
      if (cause !== this.lastFailure) this.logger.warn(`readiness check failed: ${cause}`);
      this.lastFailure = cause;
      throw HealthError.databaseNotReady(error instanceof DatabasePingError && error.timedOut);
    }
    if (this.lastFailure !== null) this.logger.log('readiness check: the database answers again');
    this.lastFailure = null;
    return Math.round(roundTripMs * 100) / 100;
  }
}
