import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { ShadowRecorder } from '../ab-tests/shadow/shadow-recorder.js';
import { ModelRuntimeService } from '../model-registry/runtime/model-runtime.service.js';
import { PredictionsConfig } from './predictions.config.js';

/** A sampled request of a shadow test: what a answered, and what b must now answer on the same input. */
export interface ShadowJob {
  testId: string;
  modelType: string;
  versionB: string;
  text: string;
  labelA: string;
  scoreA: number;
  latencyMsA: number;
}

/**
 * Runs variant b of shadow tests off the request path. `submit` only enqueues (O(1), no I/O, no
 * await): the job runs on a later turn of the event loop (setImmediate), after the response that
 * triggered it has been handed to the socket, one job at a time so shadow inference never
 * competes with itself for the CPU. The queue is bounded (SHADOW_QUEUE_SIZE): when it is full the
 * comparison is dropped and counted — a request is never made to wait for b. b's failures are
 * recorded as b's errors and never reach the user.
 */
@Injectable()
export class ShadowRunner implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shadow');
  private readonly capacity: number;
  private readonly queue: Array<ShadowJob | undefined>;
  private head = 0;
  private size = 0;
  private scheduled = false;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly runtime: ModelRuntimeService,
    private readonly recorder: ShadowRecorder,
    @Inject(PredictionsConfig.token) config: PredictionsConfig,
  ) {
    this.capacity = config.shadowQueueSize;
    this.queue = new Array<ShadowJob | undefined>(this.capacity);
  }

  /** Queues a comparison; false (and counted as dropped) when the queue is full. */
  submit(job: ShadowJob): boolean {
    if (this.stopped || this.size >= this.capacity) {
      this.recorder.recordDrop(job.testId);
      return false;
    }
    this.queue[(this.head + this.size) % this.capacity] = job;
    this.size++;
    this.schedule();
    return true;
  }

  /** Jobs waiting (not counting the one running). */
  get queued(): number {
    return this.size;
  }

  /** Resolves when the queue is empty and nothing runs (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.size === 0 && this.running === null && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking jobs, counts the queued ones as dropped, lets the running one finish and flushes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    while (this.size > 0) this.recorder.recordDrop(this.take().testId);
    await this.running;
    await this.recorder.flushNow().catch(() => undefined);
  }

  private schedule(): void {
    if (this.scheduled || this.running !== null || this.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.size === 0) return this.notifyIdle();
      this.running = this.run(this.take()).finally(() => {
        this.running = null;
        if (this.size > 0) this.schedule();
        else this.notifyIdle();
      });
    });
  }

  private take(): ShadowJob {
    const job = this.queue[this.head]!;
    this.queue[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
    return job;
  }

  private async run(job: ShadowJob): Promise<void> {
    try {
      const model = await this.runtime.loadModel(job.modelType, job.versionB);
      const started = performance.now();
      const output = await model.predict(job.text);
      const latencyMsB = performance.now() - started;
      this.recorder.recordComparison(job.testId, {
        labelA: job.labelA,
        labelB: output.label,
        latencyMsA: job.latencyMsA,
        latencyMsB,
        scoreA: job.scoreA,
        scoreB: output.score,
        input: job.text,
      });
    } catch (error) {
      this.recorder.recordError(job.testId);
      this.logger.debug(`shadow run of ${job.modelType} ${job.versionB} (A/B test ${job.testId}) failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private notifyIdle(): void {
    if (this.size > 0 || this.running !== null || this.scheduled) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
