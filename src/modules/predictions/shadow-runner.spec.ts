import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config/app-config.js';
import type { ShadowRecorder } from '../ab-tests/shadow/shadow-recorder.js';
import type { Comparison } from '../ab-tests/shadow/shadow-deltas.js';
import type { ModelRuntimeService } from '../model-registry/runtime/model-runtime.service.js';
import { ShadowRunner, type ShadowJob } from './shadow-runner.js';

/** A recorder that counts what it is told. */
function countingRecorder() {
  const seen = { comparisons: [] as Comparison[], errors: 0, drops: 0, flushes: 0 };
  const recorder = {
    recordComparison: (_testId: string, comparison: Comparison) => void seen.comparisons.push(comparison),
    recordError: () => void seen.errors++,
    recordDrop: () => void seen.drops++,
    flushNow: () => {
      seen.flushes++;
      return Promise.resolve();
    },
  } as unknown as ShadowRecorder;
  return { recorder, seen };
}

/** b's model: each predict waits for `gate` (never, if it is never opened), or throws for "boom". */
function runtimeWith(gate: Promise<void>) {
  return {
    loadModel: () =>
      Promise.resolve({
        predict: async (text: string) => {
          await gate;
          if (text === 'boom') throw new Error('b crashed');
          return { label: text === 'same' ? 'safe' : 'toxic', score: 0.9, scores: {} };
        },
      }),
  } as unknown as ModelRuntimeService;
}

const job = (text: string): ShadowJob => ({ testId: 't1', modelType: 'safety_classifier', versionB: 'v2.0.0', text, labelA: 'safe', scoreA: 0.8, latencyMsA: 0.3 });
const config = (size: number) => ({ shadowQueueSize: size }) as AppConfig;

describe('ShadowRunner', () => {
  it('submit never waits for b: with b stuck, a full queue drops and counts synchronously', () => {
    const { recorder, seen } = countingRecorder();
    const runner = new ShadowRunner(runtimeWith(new Promise(() => undefined)), recorder, config(3));
    const started = performance.now();
    const accepted = Array.from({ length: 10 }, () => runner.submit(job('x')));
    expect(performance.now() - started).toBeLessThan(50);
    expect(accepted.filter(Boolean)).toHaveLength(3);
    expect(seen.drops).toBe(7);
    expect(runner.queued).toBe(3);
  });

  it('runs b after the current turn, one job at a time, and records comparisons and b errors', async () => {
    const { recorder, seen } = countingRecorder();
    let open!: () => void;
    const runner = new ShadowRunner(runtimeWith(new Promise((resolve) => (open = resolve))), recorder, config(10));
    runner.submit(job('same'));
    runner.submit(job('boom'));
    runner.submit(job('other'));
    // Nothing ran in this turn.
    expect(seen.comparisons.length + seen.errors).toBe(0);
    open();
    await runner.idle();
    expect(seen.comparisons.map((c) => [c.labelA, c.labelB])).toEqual([
      ['safe', 'safe'],
      ['safe', 'toxic'],
    ]);
    expect(seen.comparisons[0]!.latencyMsB).toBeGreaterThanOrEqual(0);
    expect(seen.errors).toBe(1);
    expect(seen.drops).toBe(0);
  });

  it('at shutdown counts what is still queued as dropped and flushes', async () => {
    const { recorder, seen } = countingRecorder();
    const runner = new ShadowRunner(runtimeWith(Promise.resolve()), recorder, config(10));
    for (let i = 0; i < 4; i++) runner.submit(job('same'));
    await runner.beforeApplicationShutdown();
    expect(seen.drops).toBe(4);
    expect(seen.flushes).toBe(1);
    expect(runner.submit(job('same'))).toBe(false);
  });
});
