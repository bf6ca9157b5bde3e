import { randomBytes } from 'node:crypto';
import type { Variant } from '../../../common/variant.js';

/** One slot: the two 32-bit halves of the key's hash, and `tag << 2 | variant code` (0 = empty). */
const WORDS_PER_SLOT = 3;
export const BYTES_PER_SLOT = WORDS_PER_SLOT * 4;
/** Linear probing stays short (≈ 2.2 probes for a hit, ≈ 6 for a miss) up to this load. */
const MAX_LOAD = 0.7;
/** Test tags fit in the 30 bits above the variant code; past this many tests the cache starts over. */
const MAX_TAG = 2 ** 30 - 1;
const MAX_TESTS_REMEMBERED = 10_000;

const CODE_A = 1;
const CODE_B = 2;

/** One running test's users in the shared cache: what `RunningTest.assigned` is. */
export interface AssignedUsers {
  get(userId: string): Variant | undefined;
  set(userId: string, variant: Variant): void;
}

export interface AssignmentCacheStats {
  /** Users held (both generations; a user read from the old one is counted twice until it rotates out). */
  entries: number;
  /** Users the current generation takes before it rotates. */
  capacityPerGeneration: number;
  /** Bytes of the two tables once allocated (they are allocated on first use). */
  bytes: number;
}

/**
 * The sticky-assignment cache of every running test on this instance, in a fixed number of bytes.
 *
 * A user is not stored by id but by a 64-bit hash of (test, user id) in an open-addressing table
 * (linear probing) of one Uint32Array: 12 bytes a slot, filled to at most 70%. With both
 * generations full that is ~17 bytes per cached user (~34 just after a rotation, when the new
 * generation is still empty). No strings, no Map entries, nothing for the garbage collector to trace.
 *
 * Eviction is the "two generations" scheme of quick-lru: when the current table reaches 70% it
 * becomes the old one and the previous old one is cleared; a user found in the old table is copied
 * forward. Users not read for two generations are dropped and, on their next request, get the row
 * that is stored for them (AssignmentWriter's insert answers with the existing row) — eviction costs
 * a database round trip, never a different variant.
 *
 * Collisions: two users share an entry only if all 64 bits of their hashes are equal (the slot
 * position comes from the same bits, and the test tag is compared exactly). With the two 32-bit
 * halves computed by independent mixes from per-process random seeds, a lookup of a user who is
 * not cached matches some cached user with probability ≤ entries / 2^64: with 4,000,000 cached
 * users, 2.2e-13 per look-up; at 100,000,000 first look-ups a day that is one expected collision
 * every ~125 years per instance, and it serves a wrong variant only if the two users were assigned
 * differently. The seeds are random per process, so nobody can choose user ids that collide.
 */
export class AssignmentCache {
  private readonly slots: number;
  private readonly maxEntries: number;
  private current: Uint32Array | null = null;
  private previous: Uint32Array | null = null;
  private currentEntries = 0;
  private previousEntries = 0;
  private readonly tags = new Map<string, number>();
  private nextTag = 1;
  private readonly seedHi: number;
  private readonly seedLo: number;
  // The hash of the last key, returned through fields: the hot path allocates nothing.
  private hashHi = 0;
  private hashLo = 0;

  /** `budgetBytes` bounds both generations together. */
  constructor(budgetBytes: number) {
    this.slots = Math.floor(budgetBytes / 2 / BYTES_PER_SLOT);
    if (!Number.isFinite(this.slots) || this.slots < 16) throw new Error(`an assignment cache needs at least ${32 * BYTES_PER_SLOT} bytes`);
    this.maxEntries = Math.floor(this.slots * MAX_LOAD);
    const seeds = randomBytes(8);
    this.seedHi = seeds.readUInt32LE(0);
    this.seedLo = seeds.readUInt32LE(4);
  }

  /** The view of one test's users. The same test id always gets the same tag. */
  forTest(testId: string): AssignedUsers {
    let tag = this.tags.get(testId);
    if (tag === undefined) {
      if (this.nextTag > MAX_TAG || this.tags.size >= MAX_TESTS_REMEMBERED) this.reset();
      tag = this.nextTag++;
      this.tags.set(testId, tag);
    }
    const fixedTag = tag;
    return {
      get: (userId) => this.get(fixedTag, userId),
      set: (userId, variant) => this.set(fixedTag, userId, variant),
    };
  }

  get stats(): AssignmentCacheStats {
    return {
      entries: this.currentEntries + this.previousEntries,
      capacityPerGeneration: this.maxEntries,
      bytes: (this.current ? this.current.byteLength : 0) + (this.previous ? this.previous.byteLength : 0),
    };
  }

  get(tag: number, userId: string): Variant | undefined {
    if (this.current === null) return undefined;
    this.hash(tag, userId);
    const code = this.find(this.current, tag);
    if (code !== 0) return code === CODE_A ? 'a' : 'b';
    if (this.previous === null) return undefined;
    const old = this.find(this.previous, tag);
    if (old === 0) return undefined;
    this.insert(tag, old);
    return old === CODE_A ? 'a' : 'b';
  }

  set(tag: number, userId: string, variant: Variant): void {
    if (this.current === null) {
      this.current = new Uint32Array(this.slots * WORDS_PER_SLOT);
      this.previous = new Uint32Array(this.slots * WORDS_PER_SLOT);
    }
    this.hash(tag, userId);
    this.insert(tag, variant === 'a' ? CODE_A : CODE_B);
  }

  /** Forgets everything (and every test's tag). */
  reset(): void {
    this.current = null;
    this.previous = null;
    this.currentEntries = 0;
    this.previousEntries = 0;
    this.tags.clear();
    this.nextTag = 1;
  }

  /** The variant code stored for the hashed key in `table`, or 0. */
  private find(table: Uint32Array, tag: number): number {
    const hi = this.hashHi;
    const lo = this.hashLo;
    let slot = this.home();
    for (;;) {
      const at = slot * WORDS_PER_SLOT;
      const meta = table[at + 2]!;
      if (meta === 0) return 0;
      if (table[at] === hi && table[at + 1] === lo && meta >>> 2 === tag) return meta & 3;
      if (++slot === this.slots) slot = 0;
    }
  }

  /** Stores the hashed key in the current table (rotating first when it is full). */
  private insert(tag: number, code: number): void {
    if (this.currentEntries >= this.maxEntries) this.rotate();
    const table = this.current!;
    const hi = this.hashHi;
    const lo = this.hashLo;
    let slot = this.home();
    for (;;) {
      const at = slot * WORDS_PER_SLOT;
      const meta = table[at + 2]!;
      if (meta === 0) {
        table[at] = hi;
        table[at + 1] = lo;
        table[at + 2] = ((tag << 2) | code) >>> 0;
        this.currentEntries++;
        return;
      }
      if (table[at] === hi && table[at + 1] === lo && meta >>> 2 === tag) {
        table[at + 2] = ((tag << 2) | code) >>> 0;
        return;
      }
      if (++slot === this.slots) slot = 0;
    }
  }

  private rotate(): void {
    const recycled = this.previous!;
    recycled.fill(0);
    this.previous = this.current;
    this.previousEntries = this.currentEntries;
    this.current = recycled;
    this.currentEntries = 0;
  }

  /** The first slot to probe: the high half of the hash mapped onto [0, slots) without a modulo bias. */
  private home(): number {
    return Math.floor((this.hashHi * this.slots) / 4294967296);
  }

  /**
   * Two 32-bit hashes of (tag, user id) in one pass over the UTF-16 code units: FNV-1a and a
   * MurmurHash3-style lane, each from its own random seed, each finished with MurmurHash3's fmix32.
   */
  private hash(tag: number, userId: string): void {
    let a = (this.seedHi ^ Math.imul(tag, 0x9e3779b1)) >>> 0;
    let b = (this.seedLo ^ Math.imul(tag, 0x85ebca6b)) >>> 0;
    const length = userId.length;
    for (let i = 0; i < length; i++) {
      const c = userId.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      let k = Math.imul(c, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      b ^= Math.imul(k, 0x1b873593);
      b = (b << 13) | (b >>> 19);
      b = (Math.imul(b, 5) + 0xe6546b64) | 0;
    }
    this.hashHi = fmix32(a ^ length);
    this.hashLo = fmix32(b ^ length);
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
