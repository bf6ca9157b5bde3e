import { Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import { AppConfig, directDatabaseUrl } from '../config/app-config.js';

/** Outcome of `tryWithLock`: whether the lock was free (and `fn` ran). */
export type TryLockResult<T> = { ran: true; value: T } | { ran: false };

/**
 * Session advisory locks on a connection of their own to DATABASE_DIRECT_URL. Through a
 * transaction pooler a session lock's lock and unlock can land on different server connections
 * (the lock then stays held by a connection nobody controls), so they never go through the pool.
 * A lock lasts while its connection does: if the connection drops, PostgreSQL releases it and
 * another instance may take over, so the work done under it must be safe to repeat.
 */
@Injectable()
export class AdvisoryLocks {
  private readonly logger = new Logger('AdvisoryLocks');

  constructor(private readonly config: AppConfig) {}

  /** Waits for the lock, runs `fn`, releases it. */
  async withLock<T>(key: number, fn: () => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [key]);
      return await fn();
    } finally {
      await this.release(client, key);
    }
  }

  /** Runs `fn` only when the lock is free now; another holder means `{ran: false}` at once. */
  async tryWithLock<T>(key: number, fn: () => Promise<T>): Promise<TryLockResult<T>> {
    const client = await this.connect();
    let locked = false;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
      locked = rows[0]!.locked;
      if (!locked) return { ran: false };
      return { ran: true, value: await fn() };
    } finally {
      if (locked) await this.release(client, key);
      else await client.end().catch(() => undefined);
    }
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: directDatabaseUrl(this.config), connectionTimeoutMillis: 2000, keepAlive: true, application_name: 'model-ab-lock' });
    // A dropped connection releases the lock; the error surfaces in the next query, not as a crash.
    client.on('error', (error) => this.logger.warn(`advisory lock connection lost: ${error.message}`));
    await client.connect();
    return client;
  }

  private async release(client: pg.Client, key: number): Promise<void> {
    await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
