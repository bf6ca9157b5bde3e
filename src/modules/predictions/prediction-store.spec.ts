import { describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { PredictionStore, type NewPrediction } from './prediction-store.js';

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

/** A DataSource whose INSERTs take `delayMs` and are logged with the number of rows each wrote. */
function fakeDataSource(options: { delayMs: number; fail?: (call: number) => boolean }) {
  const batches: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const dataSource = {
    query: async (_sql: string, params: unknown[][]) => {
      const call = batches.length;
      batches.push(params[0]!.length);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      inFlight--;
      if (options.fail?.(call)) throw new Error('Connection terminated unexpectedly'); // pg's message: a lost connection, not worth splitting the batch
      return [];
    },
  } as unknown as DataSource;
  return { dataSource, batches, maxInFlight: () => maxInFlight };
}

describe('PredictionStore (group commit)', () => {
  it('writes a lone prediction at once, as one row', async () => {
    const fake = fakeDataSource({ delayMs: 1 });
    await new PredictionStore(fake.dataSource).insert(row(1));
    expect(fake.batches).toEqual([1]);
  });

  it('coalesces a burst into few multi-row INSERTs and resolves every caller after its INSERT', async () => {
    const fake = fakeDataSource({ delayMs: 5 });
    const store = new PredictionStore(fake.dataSource);
    const settled: number[] = [];
    await Promise.all(Array.from({ length: 2500 }, (_, i) => store.insert(row(i)).then(() => settled.push(i))));
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
    const dataSource = {
      query: (_sql: string, params: unknown[][]) => {
        batches.push(params[0]!.length);
        return new Promise((resolve) => release.push(() => resolve([])));
      },
    } as unknown as DataSource;
    const store = new PredictionStore(dataSource);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const inserts: Array<Promise<void>> = [];
    for (let wave = 0; wave < 30; wave++) {
      for (let i = 0; i < 20; i++) inserts.push(store.insert(row(wave * 20 + i)));
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
    const fake = fakeDataSource({ delayMs: 1, fail: (call) => call === 0 });
    const store = new PredictionStore(fake.dataSource);
    const first = await Promise.allSettled([store.insert(row(1)), store.insert(row(2))]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(store.insert(row(3))).resolves.toBeUndefined();
  });
});
