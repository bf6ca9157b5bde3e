import type { EntityManager } from 'typeorm';
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

/** Appends to a test's audit log inside the caller's transaction, so the log and the change commit together. */
export async function appendAuditEvent(manager: EntityManager, entry: AuditEntry): Promise<void> {
  await manager.insert(AbTestEvent, {
    abTestId: entry.abTestId,
    action: entry.action,
    actor: entry.actor,
    before: entry.before,
    after: entry.after,
  });
}
