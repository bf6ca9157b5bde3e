import { isUuid } from '../../common/validation/uuid.js';
import {
  CUSTOM_PREFIX,
  DeltaBuffer,
  KEYS_PER_TEST,
  METRIC_NAME_PATTERN,
  minuteOf,
  TestDeltas,
  ValueDeltas,
  type VariantDeltas,
} from './metric-deltas.js';
import type { Variant } from '../../common/variant.js';

export interface RequestOutcome {
  latencyMs?: number;
  error?: boolean;
}

/** Why recordings were dropped since the last report. */
export interface DropCounts {
  /** Not a UUID. */
  testId: number;
  /** Not 'a' or 'b'. */
  variant: number;
  /** Latency negative, NaN or infinite (the request itself is still counted). */
  latency: number;
  /** Custom metric name not a slug. */
  metricName: number;
  /** Custom value NaN or infinite. */
  value: number;
  /** The buffer was full: requests and custom values shed. */
  shedRequests: number;
  shedValues: number;
}

const MAX_CACHED_NAMES = 10_000;

function noDrops(): DropCounts {
  return { testId: 0, variant: 0, latency: 0, metricName: 0, value: 0, shedRequests: 0, shedValues: 0 };
}

/**
 * The in-memory side of in-process recording, with no framework or database in it: adds each
 * call to per-(test, variant, metric) accumulators of the current minute, and hands whole minutes
 * to the flusher. The hot path is a Map lookup, a few additions and one typed-array increment;
 * it never throws and never allocates once a test's accumulators exist. Invalid input is counted
 * by reason and dropped; the owner logs the counts.
 *
 * Bounded: `maxKeys` caps the aggregate rows held (this buffer's, sealed minutes' and whatever the
 * owner reserves for a batch awaiting retry). A recording that would need a new key beyond it is
 * shed and counted.
 */
export class MetricsRecorder {
  private active: DeltaBuffer;
  /** Sealed minutes not yet taken by the flusher, one buffer per minute. */
  private readonly sealed = new Map<number, DeltaBuffer>();
  private sealedKeys = 0;
  /** Keys held elsewhere by the owner (a batch awaiting retry). */
  private reservedKeys = 0;
  private drops = noDrops();
  private readonly metricKeys = new Map<string, string>();

  constructor(
    readonly maxKeys: number,
    now: number = Date.now(),
  ) {
    this.active = new DeltaBuffer(minuteOf(now));
  }

  recordRequest(testId: string, variant: Variant, outcome: RequestOutcome): void {
    let test = this.active.tests.get(testId);
    if (test === undefined) {
      test = this.openTest(testId, true);
      if (test === undefined) return;
    }
    const deltas = variant === 'a' ? test.a : variant === 'b' ? test.b : undefined;
    if (deltas === undefined) {
      this.drops.variant++;
      return;
    }
    deltas.requests++;
    if (outcome === undefined || outcome === null) return;
    if (outcome.error === true) deltas.errors++;
    const latency = outcome.latencyMs;
    if (latency !== undefined) {
      // False for NaN, negative, infinite and non-numbers.
      if (typeof latency === 'number' && latency >= 0 && latency !== Infinity) deltas.latency.add(latency);
      else this.drops.latency++;
    }
  }

  recordMetric(testId: string, variant: Variant, name: string, value: number): void {
    const metric = this.metricKeys.get(name) ?? this.metricKey(name);
    if (metric === undefined) {
      this.drops.metricName++;
      return;
    }
    if (typeof value !== 'number' || !(value - value === 0)) {
      // NaN, ±Infinity and non-numbers.
      this.drops.value++;
      return;
    }
    let test = this.active.tests.get(testId);
    if (test === undefined) {
      test = this.openTest(testId, false);
      if (test === undefined) return;
    }
    const deltas: VariantDeltas | undefined = variant === 'a' ? test.a : variant === 'b' ? test.b : undefined;
    if (deltas === undefined) {
      this.drops.variant++;
      return;
    }
    let values = deltas.custom?.get(metric);
    if (values === undefined) {
      if (this.keys >= this.maxKeys) {
        this.drops.shedValues++;
        return;
      }
      values = new ValueDeltas();
      (deltas.custom ??= new Map()).set(metric, values);
      this.active.keys++;
    }
    values.add(value);
  }

  /**
   * Closes the current buffer (merging it into the sealed buffer of the same minute, if any) and
   * opens one for the minute of `now`. The owner calls this at every minute boundary and before
   * every flush, so a buffer never spans two minutes.
   */
  seal(now: number = Date.now()): void {
    const closing = this.active;
    this.active = new DeltaBuffer(minuteOf(now));
    if (closing.isEmpty) return;
    const existing = this.sealed.get(closing.bucketStart);
    if (existing) {
      this.sealedKeys += existing.merge(closing);
    } else {
      this.sealed.set(closing.bucketStart, closing);
      this.sealedKeys += closing.keys;
    }
  }

  /** Removes and returns every sealed minute (the flusher turns them into one batch). */
  takeSealed(): DeltaBuffer[] {
    const buffers = [...this.sealed.values()];
    this.sealed.clear();
    this.sealedKeys = 0;
    return buffers;
  }

  get hasSealed(): boolean {
    return this.sealed.size > 0;
  }

  /** Keys the owner holds outside this recorder (they count against the bound). */
  reserveKeys(keys: number): void {
    this.reservedKeys = keys;
  }

  get keys(): number {
    return this.active.keys + this.sealedKeys + this.reservedKeys;
  }

  /** Returns the drop counts since the last call and resets them. */
  takeDrops(): DropCounts {
    const drops = this.drops;
    this.drops = noDrops();
    return drops;
  }

  /** The new accumulators of a test, or undefined (counted) for an invalid id or a full buffer. */
  private openTest(testId: string, request: boolean): TestDeltas | undefined {
    if (!isUuid(testId)) {
      this.drops.testId++;
      return undefined;
    }
    if (this.keys + KEYS_PER_TEST > this.maxKeys) {
      if (request) this.drops.shedRequests++;
      else this.drops.shedValues++;
      return undefined;
    }
    const test = new TestDeltas();
    this.active.tests.set(testId, test);
    this.active.keys += KEYS_PER_TEST;
    return test;
  }

  /** `custom:<name>` for a valid name (with or without the prefix), cached; undefined otherwise. */
  private metricKey(name: string): string | undefined {
    if (typeof name !== 'string') return undefined;
    const bare = name.startsWith(CUSTOM_PREFIX) ? name.slice(CUSTOM_PREFIX.length) : name;
    if (!METRIC_NAME_PATTERN.test(bare)) return undefined;
    const key = CUSTOM_PREFIX + bare;
    if (this.metricKeys.size < MAX_CACHED_NAMES) this.metricKeys.set(name, key);
    return key;
  }
}

