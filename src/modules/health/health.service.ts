import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DatabaseNotReadyError } from './health.errors.js';

const READY_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs SELECT 1 with a deadline; returns its round trip in ms or throws DatabaseNotReadyError. */
  async checkDatabase(): Promise<number> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), deadline]);
    } catch (error) {
      throw new DatabaseNotReadyError(error instanceof Error ? error.message.split('\n')[0] : String(error));
    } finally {
      clearTimeout(timer);
    }
    return Math.round((performance.now() - started) * 100) / 100;
  }
}
