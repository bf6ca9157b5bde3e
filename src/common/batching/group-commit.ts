import { isDatabaseUnavailable } from '../errors/to-error-response.js';

export interface GroupCommitOptions<TItem, TResult> {
  /** Items per write at most. */
  maxBatch: number;
  /** Writes in flight at once; items arriving meanwhile queue up and coalesce into the next write. */
  maxInFlight: number;
  /**
   * After a write of n > 1 items finishes, the next write waits up to this long until n more items
   * have arrived (those n callers' next requests, under a steady load), so that a write's fixed
   * cost (a statement, a commit) is shared by twice as many items instead of the load splitting
   * into two alternating halves. Nothing waits after a write of one item or when idle.
   * Default 0: every write goes as soon as one may.
   */
  lingerMs?: number;
  /** Writes one batch; returns one result per item, in order. Must be all-or-nothing (one statement or transaction). */
  write: (items: TItem[]) => Promise<TResult[]>;
  /**
   * Whether a failed batch may hold one bad item among good ones (a value the database refuses)
   * and is worth splitting. Default: every failure but a lost database, where each retry would
   * fail the same way.
   */
  isolatable?: (error: unknown) => boolean;
}

interface Pending<TItem, TResult> {
  item: TItem;
  resolve: (result: TResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: one INSERT and commit per request would cap an instance at a few thousand writes
 * per second, so items submitted while earlier writes are in flight are queued and written together.
 * Each caller's promise settles when the write holding its item has committed (or failed), so an
 * answer never goes out before its row is durable.
 */
export class GroupCommitter<TItem, TResult> {
  private queue: Array<Pending<TItem, TResult>> = [];
  private inFlight = 0;
  private scheduled = false;
  /** Set when a write of several items finishes: the next write waits for this many queued items … */
  private fillTarget = 0;
  /** … until this time (performance.now()) at the latest. */
  private lingerUntil = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private writes = 0;
  private items = 0;

  constructor(private readonly options: GroupCommitOptions<TItem, TResult>) {}

  submit(item: TItem): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Writes issued and items they carried since start (shows the coalescing). */
  get stats(): { writes: number; items: number } {
    return { writes: this.writes, items: this.items };
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    if (this.queue.length < this.fillTarget && performance.now() < this.lingerUntil) {
      this.lingerTimer ??= setTimeout(
        () => {
          this.lingerTimer = undefined;
          this.fillTarget = 0;
          this.schedule();
        },
        Math.max(0, this.lingerUntil - performance.now()),
      );
      return;
    }
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.fillTarget = 0;
    this.scheduled = true;
    // setImmediate, not a microtask: every request parsed in this turn of the event loop joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    const { maxBatch, maxInFlight } = this.options;
    while (this.queue.length > 0 && this.inFlight < maxInFlight) {
      const batch = this.queue.length <= maxBatch ? this.queue : this.queue.slice(0, maxBatch);
      this.queue = this.queue.length <= maxBatch ? [] : this.queue.slice(maxBatch);
      this.inFlight++;
      this.writes++;
      this.items += batch.length;
      void this.writeBatch(batch).finally(() => {
        this.inFlight--;
        const lingerMs = this.options.lingerMs ?? 0;
        if (lingerMs > 0 && batch.length > 1) {
          this.fillTarget = Math.min(maxBatch, this.queue.length + batch.length);
          this.lingerUntil = performance.now() + lingerMs;
        }
        this.schedule();
      });
    }
  }

  /**
   * Writes a batch. When it fails for a reason that may be one item's (a value PostgreSQL refuses),
   * the halves are written separately, down to single items, so only the bad item's caller fails:
   * one bad row in a batch of n costs about 2·log₂(n) extra statements, and the innocent callers
   * that shared its batch still get their rows.
   */
  private async writeBatch(batch: Array<Pending<TItem, TResult>>): Promise<void> {
    let results: TResult[];
    try {
      results = await this.options.write(batch.map((pending) => pending.item));
    } catch (error) {
      const isolatable = this.options.isolatable ?? ((e: unknown) => !isDatabaseUnavailable(e));
      if (batch.length > 1 && isolatable(error)) {
        const middle = Math.ceil(batch.length / 2);
        this.writes += 2;
        await this.writeBatch(batch.slice(0, middle));
        await this.writeBatch(batch.slice(middle));
        return;
      }
      for (const pending of batch) pending.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
  }
}
