/*
 * A fixed-layout, DDSketch-style quantile sketch (Masson, Rim & Lee 2019) whose buckets SQL can
 * add: the layout never changes (no collapsing, no per-sketch parameters), so two sketches merge
 * by adding the counts of equal keys, which `metric_sketch_merge` does in PostgreSQL.
 *
 * Layout, relative accuracy α = 1%:
 *   γ = (1 + α) / (1 − α); a value v > ZERO_THRESHOLD goes to bucket i = ⌈log_γ v⌉, which holds
 *   (γ^(i−1), γ^i]; reading it back as 2γ^i / (γ + 1) is within α of every value in it.
 *   |v| ≤ ZERO_THRESHOLD counts in the zero bucket (latency 0 works); v < −ZERO_THRESHOLD in the
 *   bucket ⌈log_γ |v|⌉ of a mirrored negative store.
 * Serialised (jsonb) as {"<i>": count} for positive buckets, "z" for the zero bucket and
 * "n<i>" for negative ones, e.g. {"z": 3, "232": 17, "233": 4}.
 */

export const SKETCH_RELATIVE_ACCURACY = 0.01;
export const SKETCH_GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(SKETCH_GAMMA);
const INV_LN_GAMMA = 1 / LN_GAMMA;
/** Values this close to zero (in either direction) count as zero. */
export const ZERO_THRESHOLD = 1e-9;

export const ZERO_KEY = 'z';
const NEGATIVE_PREFIX = 'n';

/** Bucket index of a value > ZERO_THRESHOLD. */
export function bucketIndex(value: number): number {
  return Math.ceil(Math.log(value) * INV_LN_GAMMA);
}

/** The value a bucket reports: within α of everything the bucket holds. */
export function bucketValue(index: number): number {
  return (2 * Math.exp(index * LN_GAMMA)) / (SKETCH_GAMMA + 1);
}

/** The bucket counts as a plain object, the form stored in PostgreSQL. */
export type SketchCounts = Record<string, number>;

/**
 * Counts per bucket index in one growable dense array: the indices a metric uses cluster (a
 * latency distribution from 1 ms to 10 s spans ~460 buckets), and an increment must not allocate.
 */
class DenseCounts {
  offset = 0;
  counts: Float64Array | null = null;
  /** Buckets holding at least one count (for sizing serialisation). */
  size = 0;

  add(index: number, count: number): void {
    let counts = this.counts;
    let at = index - this.offset;
    if (counts === null || at < 0 || at >= counts.length) {
      counts = this.grow(index);
      at = index - this.offset;
    }
    if (counts[at] === 0) this.size++;
    counts[at] += count;
  }

  private grow(index: number): Float64Array {
    const old = this.counts;
    if (old === null) {
      this.offset = index - 32;
      this.counts = new Float64Array(128);
      return this.counts;
    }
    const low = Math.min(this.offset, index);
    const high = Math.max(this.offset + old.length, index + 1);
    const length = Math.max(old.length * 2, high - low + 64);
    // Leave headroom on the side that grew, so a drifting distribution does not regrow each time.
    const newOffset = index < this.offset ? high - length : low;
    const grown = new Float64Array(length);
    grown.set(old, this.offset - newOffset);
    this.offset = newOffset;
    this.counts = grown;
    return grown;
  }

  forEach(visit: (index: number, count: number) => void): void {
    const counts = this.counts;
    if (counts === null) return;
    for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) visit(i + this.offset, counts[i]);
  }
}

export class LogBucketSketch {
  private zero = 0;
  private readonly positive = new DenseCounts();
  private negative: DenseCounts | null = null;
  /** Total count, all buckets included. */
  count = 0;

  /** Adds one value; the caller ensures it is finite. */
  add(value: number): void {
    if (value > ZERO_THRESHOLD) this.positive.add(Math.ceil(Math.log(value) * INV_LN_GAMMA), 1);
    else if (value >= -ZERO_THRESHOLD) this.zero++;
    else (this.negative ??= new DenseCounts()).add(Math.ceil(Math.log(-value) * INV_LN_GAMMA), 1);
    this.count++;
  }

  /** Adds `count` to the bucket named by a serialised key ("z", "<i>" or "n<i>"). */
  addKey(key: string, count: number): void {
    if (!(count > 0)) return;
    if (key === ZERO_KEY) this.zero += count;
    else if (key.charCodeAt(0) === 110 /* n */) (this.negative ??= new DenseCounts()).add(Number(key.slice(1)), count);
    else this.positive.add(Number(key), count);
    this.count += count;
  }

  merge(other: LogBucketSketch): void {
    if (other.zero > 0) this.zero += other.zero;
    other.positive.forEach((index, count) => this.positive.add(index, count));
    other.negative?.forEach((index, count) => (this.negative ??= new DenseCounts()).add(index, count));
    this.count += other.count;
  }

  mergeCounts(counts: SketchCounts | null | undefined): void {
    if (!counts) return;
    for (const key in counts) this.addKey(key, Number(counts[key]));
  }

  static fromCounts(counts: SketchCounts | null | undefined): LogBucketSketch {
    const sketch = new LogBucketSketch();
    sketch.mergeCounts(counts);
    return sketch;
  }

  toCounts(): SketchCounts {
    const out: SketchCounts = {};
    if (this.zero > 0) out[ZERO_KEY] = this.zero;
    this.positive.forEach((index, count) => (out[String(index)] = count));
    this.negative?.forEach((index, count) => (out[`${NEGATIVE_PREFIX}${index}`] = count));
    return out;
  }

  /** The same as JSON.stringify(toCounts()), without building the object. */
  toJson(): string {
    const parts: string[] = [];
    if (this.zero > 0) parts.push(`"${ZERO_KEY}":${this.zero}`);
    this.positive.forEach((index, count) => parts.push(`"${index}":${count}`));
    this.negative?.forEach((index, count) => parts.push(`"${NEGATIVE_PREFIX}${index}":${count}`));
    return `{${parts.join(',')}}`;
  }

  /**
   * The q-quantile (0 ≤ q ≤ 1) of the values added: the value of the bucket holding the element of
   * rank ⌊q·(count − 1)⌋ in sorted order, so within α of that element. Null when empty.
   */
  quantile(q: number): number | null {
    return this.quantiles([q])[0]!;
  }

  /** Several quantiles in one pass; `qs` in any order. */
  quantiles(qs: readonly number[]): Array<number | null> {
    if (this.count === 0) return qs.map(() => null);
    const order = qs.map((q, i) => ({ i, rank: Math.floor(Math.min(1, Math.max(0, q)) * (this.count - 1)) })).sort((x, y) => x.rank - y.rank);
    const out: Array<number | null> = qs.map(() => null);
    let next = 0;
    let seen = 0;
    const visit = (value: number, count: number): boolean => {
      seen += count;
      while (next < order.length && order[next]!.rank < seen) out[order[next++]!.i] = value;
      return next === order.length;
    };
    if (this.negative?.counts) {
      // Most negative first: highest magnitude index first.
      const { counts, offset } = this.negative;
      for (let i = counts.length - 1; i >= 0; i--) if (counts[i] !== 0 && visit(-bucketValue(i + offset), counts[i])) return out;
    }
    if (this.zero > 0 && visit(0, this.zero)) return out;
    const { counts, offset } = this.positive;
    if (counts) for (let i = 0; i < counts.length; i++) if (counts[i] !== 0 && visit(bucketValue(i + offset), counts[i])) return out;
    return out;
  }

  /**
   * How many values are above `threshold`, counting a bucket when its reported value is: exact
   * except for the one bucket straddling the threshold (within α of it).
   */
  countAbove(threshold: number): number {
    let total = 0;
    this.positive.forEach((index, count) => {
      if (bucketValue(index) > threshold) total += count;
    });
    if (threshold < 0) {
      if (this.zero > 0) total += this.zero;
      this.negative?.forEach((index, count) => {
        if (-bucketValue(index) > threshold) total += count;
      });
    }
    return total;
  }

  /**
   * Calls `visit` once per non-empty bucket with its reported value, in ascending value order
   * (for converting to other bucket layouts, e.g. Prometheus histograms).
   */
  forEachBucket(visit: (value: number, count: number) => void): void {
    if (this.negative?.counts) {
      const { counts, offset } = this.negative;
      for (let i = counts.length - 1; i >= 0; i--) if (counts[i] !== 0) visit(-bucketValue(i + offset), counts[i]);
    }
    if (this.zero > 0) visit(0, this.zero);
    this.positive.forEach((index, count) => visit(bucketValue(index), count));
  }

  /** Number of non-empty buckets. */
  get bucketCount(): number {
    return (this.zero > 0 ? 1 : 0) + this.positive.size + (this.negative?.size ?? 0);
  }
}
