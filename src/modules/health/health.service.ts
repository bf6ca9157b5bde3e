import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DatabaseNotReadyError } from './health.errors.js';

const READY_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');
  /** The last failure logged, so a probe polling a down database logs the cause once, not every time. */
  private lastFailure: string | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs SELECT 1 with a deadline; returns its round trip in ms or throws DatabaseNotReadyError.
   * The cause (driver message, address) goes to the log only.
   */
  async checkDatabase(): Promise<number> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), deadline]);
    } catch (error) {
      const cause = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      if (cause !== this.lastFailure) this.logger.warn(`readiness check failed: ${cause}`);
      this.lastFailure = cause;
      throw new DatabaseNotReadyError(timedOut);
    } finally {
      clearTimeout(timer);
    }
    if (this.lastFailure !== null) this.logger.log('readiness check: the database answers again');
    this.lastFailure = null;
    return Math.round((performance.now() - started) * 100) / 100;
  }
}
