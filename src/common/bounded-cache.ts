/**
 * A bounded map with approximate least-recently-used eviction (the "two generations" scheme of
 * quick-lru): hits in the current generation are a single Map lookup, with no reordering, which is
 * what keeps the assignment hot path at millions of lookups per second. When the current generation
 * fills up it becomes the old one and the previous old one is dropped; an old entry that is read is
 * copied forward. Holds at most 2 × generationSize entries.
 */
export class BoundedCache<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();

  constructor(private readonly generationSize: number) {
    if (!Number.isInteger(generationSize) || generationSize < 1) throw new Error('generationSize must be a positive integer');
  }

  get(key: K): V | undefined {
    const hit = this.current.get(key);
    if (hit !== undefined) return hit;
    const old = this.previous.get(key);
    if (old !== undefined) {
      this.previous.delete(key);
      this.put(key, old);
    }
    return old;
  }

  set(key: K, value: V): void {
    if (this.current.has(key)) this.current.set(key, value);
    else {
      this.previous.delete(key);
      this.put(key, value);
    }
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  clear(): void {
    this.current = new Map();
    this.previous = new Map();
  }

  private put(key: K, value: V): void {
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }
}
