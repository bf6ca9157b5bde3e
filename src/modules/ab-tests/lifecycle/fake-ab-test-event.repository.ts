import type { Tx } from '../../../database/transactions.js';
import { AbTestEvent } from '../entities/ab-test-event.entity.js';
import { AbTestEventRepository, type AuditEntry } from './ab-test-event.repository.js';

/** In memory, for unit specs: events get increasing ids, as the identity column gives them. */
export class FakeAbTestEventRepository extends AbTestEventRepository {
  readonly events: AbTestEvent[] = [];

  append(_tx: Tx, entry: AuditEntry): Promise<void> {
    this.events.push(Object.assign(new AbTestEvent(), { ...structuredClone(entry), id: String(this.events.length + 1), createdAt: new Date() }));
    return Promise.resolve();
  }

  listForTest(testId: string, page: { limit: number; offset: number }): Promise<{ items: AbTestEvent[]; total: number }> {
    const mine = this.events.filter((e) => e.abTestId === testId);
    return Promise.resolve({ items: mine.slice(page.offset, page.offset + page.limit), total: mine.length });
  }
}
