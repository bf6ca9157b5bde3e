import { describe, expect, it } from 'vitest';
import { predictionBatcher, type NewPrediction } from './prediction.store.js';

function row(i: number): NewPrediction {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    abTestId: null,
    variant: null,
    modelType: 'safety_classifier',
    modelVersion: 'v1.0.0',
    userId: `user-${i}`,
    label: 'safe',
    score: 0.9,
  };
}

/** A write (one multi-row INSERT) that takes `delayMs` and is logged with the number of rows it wrote. */
function slowWrite(options: { delayMs: number; fail?: (call: number) => boolean }) {
  const batches: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const write = async (rows: NewPrediction[]) => {
    const call = batches.length;
    batches.push(rows.length);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    inFlight--;
    if (options.fail?.(call)) throw new Error('Connection terminated unexpectedly'); // pg's message: a lost connection, not worth splitting the batch
  };
  return { write, batches, maxInFlight: () => maxInFlight };
}

/** How PostgresPredictionStore batches its INSERTs (the INSERT itself is covered on PostgreSQL by the e2e suites). */
describe('predictionBatcher (group commit of predictions)', () => {
  it('writes a lone prediction at once, as one row', async () => {
    const fake = slowWrite({ delayMs: 1 });
    await predictionBatcher(fake.write).submit(row(1));
    expect(fake.batches).toEqual([1]);
  });

  it('coalesces a burst into few multi-row INSERTs and resolves every caller after its INSERT', async () => {
    const fake = slowWrite({ delayMs: 5 });
    const store = predictionBatcher(fake.write);
    const settled: number[] = [];
    await Promise.all(Array.from({ length: 2500 }, (_, i) => store.submit(row(i)).then(() => settled.push(i))));
    expect(settled).toHaveLength(2500);
    expect(fake.batches.reduce((a, b) => a + b, 0)).toBe(2500);
    expect(fake.batches.length).toBeLessThanOrEqual(4);
    expect(Math.max(...fake.batches)).toBeLessThanOrEqual(1000);
    expect(fake.maxInFlight()).toBeLessThanOrEqual(8);
  });

  it('keeps coalescing while every INSERT slot is busy', async () => {
    // INSERTs that finish only when the test says so: no timing assumptions.
    const batches: number[] = [];
    const release: Array<() => void> = [];
    const store = predictionBatcher((rows) => {
      batches.push(rows.length);
      return new Promise((resolve) => release.push(() => resolve()));
    });
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const inserts: Array<Promise<void>> = [];
    for (let wave = 0; wave < 30; wave++) {
      for (let i = 0; i < 20; i++) inserts.push(store.submit(row(wave * 20 + i)));
      await turn();
      await turn();
    }
    // Eight waves took the eight slots; the other 22 waves wait together.
    expect(batches).toEqual(Array(8).fill(20));
    while (release.length > 0) {
      release.shift()!();
      await turn();
      await turn();
    }
    await Promise.all(inserts);
    expect(batches.slice(8)).toEqual([440]);
  });

  it('rejects exactly the callers whose INSERT failed, and keeps serving', async () => {
    const fake = slowWrite({ delayMs: 1, fail: (call) => call === 0 });
    const store = predictionBatcher(fake.write);
    const first = await Promise.allSettled([store.submit(row(1)), store.submit(row(2))]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(store.submit(row(3))).resolves.toBeUndefined();
  });
});
