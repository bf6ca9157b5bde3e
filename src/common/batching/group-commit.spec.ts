import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit.js';

function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe('GroupCommitter', () => {
  it('coalesces items submitted in one turn into one write and answers each caller with its own result', async () => {
    const writes: number[][] = [];
    const committer = new GroupCommitter<number, string>({
      maxBatch: 100,
      maxInFlight: 2,
      write: async (items) => {
        writes.push(items);
        return items.map((n) => `r${n}`);
      },
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => committer.submit(n)));
    expect(results).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(writes).toEqual([[1, 2, 3, 4, 5]]);
    expect(committer.stats).toEqual({ writes: 1, items: 5 });
  });

  it('splits at maxBatch, caps writes in flight, and queues the rest into the next write', async () => {
    const gate = deferred();
    const writes: number[][] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const committer = new GroupCommitter<number, number>({
      maxBatch: 2,
      maxInFlight: 1,
      write: async (items) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        writes.push(items);
        await gate.promise;
        concurrent--;
        return items;
      },
    });
    const first = [1, 2, 3].map((n) => committer.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    const later = [4, 5].map((n) => committer.submit(n));
    gate.release();
    expect(await Promise.all([...first, ...later])).toEqual([1, 2, 3, 4, 5]);
    expect(maxConcurrent).toBe(1);
    expect(writes).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects every item of a write that failed for a reason not worth isolating, and goes on with the next', async () => {
    let calls = 0;
    const committer = new GroupCommitter<number, number>({
      maxBatch: 10,
      maxInFlight: 1,
      isolatable: () => false,
      write: async (items) => {
        calls++;
        if (calls === 1) throw new Error('database down');
        return items;
      },
    });
    const failed = [1, 2].map((n) => committer.submit(n));
    await expect(Promise.all(failed)).rejects.toThrow('database down');
    await expect(failed[1]).rejects.toThrow('database down');
    expect(await committer.submit(3)).toBe(3);
  });

  it('isolates a bad item: only its caller fails, every other item of the batch is written', async () => {
    const writes: number[][] = [];
    const committer = new GroupCommitter<number, number>({
      maxBatch: 100,
      maxInFlight: 1,
      write: async (items) => {
        writes.push(items);
        if (items.includes(13)) throw new Error('invalid byte sequence for encoding "UTF8": 0x00');
        return items.map((n) => n * 2);
      },
    });
    const settled = await Promise.allSettled(Array.from({ length: 16 }, (_, n) => committer.submit(n)));
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1);
    expect(settled[13]).toMatchObject({ status: 'rejected' });
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : null))).toEqual(Array.from({ length: 16 }, (_, n) => (n === 13 ? null : n * 2)));
    // 16 → 8 + 8 → 4 + 4 → 2 + 2 → 1 + 1: one failed statement per level, good halves written once.
    expect(writes.filter((batch) => batch.includes(13)).map((batch) => batch.length)).toEqual([16, 8, 4, 2, 1]);
    expect(writes.length).toBe(9);
  });

  it('does not split a batch when the database is unreachable (every part would fail the same way)', async () => {
    let calls = 0;
    const committer = new GroupCommitter<number, number>({
      maxBatch: 100,
      maxInFlight: 1,
      write: async () => {
        calls++;
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
    });
    const settled = await Promise.allSettled([1, 2, 3, 4].map((n) => committer.submit(n)));
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
  });

  describe('linger', () => {
    /** A committer whose writes wait for `gate` (when given) and record their batches. */
    function lingering(lingerMs: number, gate?: Promise<void>) {
      const writes: number[][] = [];
      const committer = new GroupCommitter<number, number>({
        maxBatch: 100,
        maxInFlight: 1,
        lingerMs,
        write: async (items) => {
          writes.push(items);
          if (gate) await gate;
          return items;
        },
      });
      return { committer, writes };
    }
    const turn = () => new Promise((resolve) => setImmediate(resolve));

    it('after a write of n items, the next waits for n new items and goes as soon as they are there', async () => {
      const gate = deferred();
      const { committer, writes } = lingering(60_000, gate.promise);
      const first = [1, 2, 3].map((n) => committer.submit(n));
      await turn();
      const queued = committer.submit(4); // arrives while [1, 2, 3] is in flight
      gate.release();
      await Promise.all(first);
      await turn();
      expect(writes).toEqual([[1, 2, 3]]); // 4 waits for company: 3 more, as many as the last write had
      const next = [5, 6].map((n) => committer.submit(n));
      await turn();
      expect(writes).toHaveLength(1);
      const last = committer.submit(7);
      const started = performance.now();
      expect(await Promise.all([queued, ...next, last])).toEqual([4, 5, 6, 7]);
      expect(writes).toEqual([[1, 2, 3], [4, 5, 6, 7]]);
      expect(performance.now() - started).toBeLessThan(1_000); // not the 60 s linger
    });

    it('goes with fewer items when the linger ends', async () => {
      const { committer, writes } = lingering(40);
      await Promise.all([1, 2].map((n) => committer.submit(n)));
      const started = performance.now();
      expect(await committer.submit(3)).toBe(3);
      expect(performance.now() - started).toBeGreaterThanOrEqual(30);
      expect(writes).toEqual([[1, 2], [3]]);
    });

    it('does not wait when idle or after a write of one item', async () => {
      const { committer, writes } = lingering(60_000);
      const started = performance.now();
      expect(await committer.submit(1)).toBe(1);
      expect(await committer.submit(2)).toBe(2);
      expect(writes).toEqual([[1], [2]]);
      expect(performance.now() - started).toBeLessThan(1_000);
    });
  });
});
