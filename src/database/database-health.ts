import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The database did not answer the probe: it failed, or gave no answer within the deadline. */
export class DatabasePingError extends Error {
  constructor(
    readonly timedOut: boolean,
    cause: unknown,
  ) {
    super(timedOut ? 'the database gave no answer in time' : 'the database did not answer', { cause });
  }
}

/** Whether PostgreSQL answers, for readiness probes. */
@Injectable()
export class DatabaseHealth {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `SELECT 1` on the pool with a deadline; resolves with its round trip in ms, or rejects with DatabasePingError. */
  async ping(timeoutMs: number): Promise<number> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), deadline]);
    } catch (error) {
      throw new DatabasePingError(timedOut, error);
    } finally {
      clearTimeout(timer);
    }
    return performance.now() - started;
  }
}
