import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig, directDatabaseUrl } from '../config/app-config.js';
import { managerOf, type Tx } from './transactions.js';
import { describeError } from '../common/logging/describe-error.js';

export const CHANGE_CHANNEL = 'model_ab_changes';

/** Something cached elsewhere changed: `topic` names the cache (e.g. "ab_tests"), `key` the entry. */
export interface Change {
  topic: string;
  key?: string;
}

/** Delivered to listeners after a reconnect: notifications may have been missed, re-read everything. */
export const RESYNC: Change = { topic: '*' };

export type ChangeListener = (change: Change) => void;

/**
 * Cross-instance cache invalidation: publish a change, hear every instance's. A DI token
 * (DatabaseModule binds PostgresChangeFeed); unit specs pass FakeChangeFeed.
 */
export abstract class ChangeFeed {
  /** Calls `listener` with every change published by any instance; returns the unsubscribe function. */
  abstract subscribe(listener: ChangeListener): () => void;
  /** NOTIFY every instance (this one included). Pass the transaction to publish at its commit. */
  abstract publish(change: Change, tx?: Tx): Promise<void>;
}

/**
 * Cross-instance cache invalidation through PostgreSQL LISTEN/NOTIFY. The listening connection is
 * a session of its own on DATABASE_DIRECT_URL (a transaction pooler cannot carry LISTEN); NOTIFY
 * goes through the pool, inside the writer's transaction. `publish` inside a
 * transaction is delivered at commit (and not at all on rollback). One dedicated connection listens;
 * when it drops, it reconnects with backoff and tells listeners to resync. Caches should still
 * re-read periodically: NOTIFY is best-effort across network partitions.
 */
@Injectable()
export class PostgresChangeFeed extends ChangeFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChangeFeed');
  private readonly listeners = new Set<ChangeListener>();
  private client: pg.Client | null = null;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoffMs = 250;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    super();
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async publish(change: Change, tx?: Tx): Promise<void> {
    await (tx ? managerOf(tx) : this.dataSource.manager).query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, JSON.stringify(change)]);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.connect().catch((error: unknown) => {
      this.logger.warn(`LISTEN connection failed (${describeError(error)}); retrying`);
      this.scheduleReconnect();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: directDatabaseUrl(this.config), connectionTimeoutMillis: 2000, keepAlive: true, application_name: 'model-ab-listen' });
    client.on('error', (error) => {
      this.logger.warn(`LISTEN connection lost: ${describeError(error)}`);
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    });
    client.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL || !message.payload) return;
      try {
        this.emit(JSON.parse(message.payload) as Change);
      } catch {
        this.logger.warn(`ignoring a malformed change notification: ${message.payload}`);
      }
    });
    await client.connect();
    await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    if (this.stopped) {
      await client.end();
      return;
    }
    const wasReconnect = this.backoffMs > 250 || this.reconnectTimer !== null;
    this.client = client;
    this.backoffMs = 250;
    this.reconnectTimer = null;
    if (wasReconnect) this.emit(RESYNC);
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 5000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch((error: unknown) => {
        this.logger.debug(`LISTEN reconnect failed: ${describeError(error)}`);
        this.backoffMs = Math.max(this.backoffMs, 500);
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  private emit(change: Change): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.logger.error(`change listener failed: ${describeError(error)}`);
      }
    }
  }
}
