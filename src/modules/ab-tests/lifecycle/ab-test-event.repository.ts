import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { managerOf, type Tx } from '../../../database/transactions.js';
import { AbTestEvent } from '../entities/ab-test-event.entity.js';
import type { JsonObject } from '../entities/ab-test.entity.js';
import type { AbTestEventAction } from './lifecycle.js';

export interface AuditEntry {
  abTestId: string;
  action: AbTestEventAction;
  actor: string;
  before: JsonObject | null;
  after: JsonObject | null;
}

/** The one owner of `ab_test_events`, a test's audit log. */
export abstract class AbTestEventRepository {
  /** Appends inside the caller's transaction, so the log and the change commit together. */
  abstract append(tx: Tx, entry: AuditEntry): Promise<void>;
  /** A test's events, oldest first. */
  abstract listForTest(testId: string, page: { limit: number; offset: number }): Promise<{ items: AbTestEvent[]; total: number }>;
}

@Injectable()
export class PostgresAbTestEventRepository extends AbTestEventRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async append(tx: Tx, entry: AuditEntry): Promise<void> {
    await managerOf(tx).insert(AbTestEvent, {
      abTestId: entry.abTestId,
      action: entry.action,
      actor: entry.actor,
      before: entry.before,
      after: entry.after,
    });
  }

  async listForTest(testId: string, page: { limit: number; offset: number }): Promise<{ items: AbTestEvent[]; total: number }> {
    const [items, total] = await this.dataSource.getRepository(AbTestEvent).findAndCount({
      where: { abTestId: testId },
      order: { id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    return { items, total };
  }
}
