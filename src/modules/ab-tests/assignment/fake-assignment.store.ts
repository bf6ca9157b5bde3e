import type { Tx } from '../../../database/transactions.js';
import { AssignmentStore, type NewAssignment, type StoredAssignment } from './assignment.store.js';
import type { AssignmentCount } from './split-version-counts.js';

/**
 * In memory, for unit specs. `isActive` stands for the join on `ab_tests` (rows are only stored for
 * tests still active); every test is active unless the spec says otherwise.
 */
export class FakeAssignmentStore extends AssignmentStore {
  readonly rows = new Map<string, NewAssignment>();
  insertStatements = 0;

  constructor(private readonly isActive: (testId: string) => boolean = () => true) {
    super();
  }

  insertIfActive(batch: readonly NewAssignment[]): Promise<StoredAssignment[]> {
    this.insertStatements++;
    const inserted: StoredAssignment[] = [];
    for (const entry of batch) {
      const key = `${entry.testId}\u0000${entry.userId}`;
      if (this.rows.has(key) || !this.isActive(entry.testId)) continue;
      this.rows.set(key, { ...entry });
      inserted.push({ testId: entry.testId, userId: entry.userId, variant: entry.variant });
    }
    return Promise.resolve(inserted);
  }

  read(pairs: ReadonlyArray<{ testId: string; userId: string }>): Promise<StoredAssignment[]> {
    const found: StoredAssignment[] = [];
    for (const { testId, userId } of pairs) {
      const row = this.rows.get(`${testId}\u0000${userId}`);
      if (row) found.push({ testId, userId, variant: row.variant });
    }
    return Promise.resolve(found);
  }

  countAssignments(testId: string, _tx?: Tx): Promise<AssignmentCount[]> {
    const counts = new Map<string, AssignmentCount>();
    for (const row of this.rows.values()) {
      if (row.testId !== testId) continue;
      const key = `${row.splitVersion}/${row.variant}`;
      const count = counts.get(key) ?? { splitVersion: row.splitVersion, variant: row.variant, count: 0 };
      count.count++;
      counts.set(key, count);
    }
    return Promise.resolve([...counts.values()]);
  }
}
