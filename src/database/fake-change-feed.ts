import { ChangeFeed, type Change, type ChangeListener } from './change-feed.service.js';
import type { Tx } from './transactions.js';

/**
 * ChangeFeed in memory, for unit specs: `publish` only records (NOTIFY's delivery at commit is
 * PostgreSQL's, covered end to end); `emit` delivers a change to the subscribers, as a
 * notification from any instance would.
 */
export class FakeChangeFeed extends ChangeFeed {
  /** Every published change, in order. */
  readonly published: Change[] = [];
  /** The key of every published change ('' for none), in order; specs may clear it. */
  readonly publishedKeys: string[] = [];
  private readonly listeners = new Set<ChangeListener>();

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(change: Change, _tx?: Tx): Promise<void> {
    this.published.push(change);
    this.publishedKeys.push(change.key ?? '');
    return Promise.resolve();
  }

  emit(change: Change): void {
    for (const listener of this.listeners) listener(change);
  }
}
