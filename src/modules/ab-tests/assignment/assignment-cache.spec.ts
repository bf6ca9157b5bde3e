import { describe, expect, it } from 'vitest';
import { AssignmentCache, BYTES_PER_SLOT } from './assignment-cache.js';
import type { Variant } from '../../../common/variant.js';

const variantOf = (i: number): Variant => ((i * 2654435761) >>> 0) % 3 === 0 ? 'b' : 'a';

/** A cache whose generations each take `perGeneration` users. */
function sized(perGeneration: number): AssignmentCache {
  return new AssignmentCache(Math.ceil(perGeneration / 0.7 + 1) * BYTES_PER_SLOT * 2);
}

describe('AssignmentCache', () => {
  it('answers every stored user with its own variant, and nothing for users never stored', () => {
    const cache = sized(250_000);
    const users = cache.forTest('test-1');
    for (let i = 0; i < 200_000; i++) users.set(`user-${i}`, variantOf(i));
    let wrong = 0;
    for (let i = 0; i < 200_000; i++) if (users.get(`user-${i}`) !== variantOf(i)) wrong++;
    expect(wrong).toBe(0);
    let found = 0;
    for (let i = 200_000; i < 400_000; i++) if (users.get(`user-${i}`) !== undefined) found++;
    expect(found).toBe(0);
    expect(cache.stats.entries).toBe(200_000);
  });

  it('keeps tests apart: the same user id may hold different variants in two tests', () => {
    const cache = sized(1000);
    const one = cache.forTest('t1');
    const two = cache.forTest('t2');
    one.set('alice', 'a');
    two.set('alice', 'b');
    expect(one.get('alice')).toBe('a');
    expect(two.get('alice')).toBe('b');
    expect(cache.forTest('t1').get('alice')).toBe('a'); // a new view of the same test sees the same users
    expect(cache.forTest('t3').get('alice')).toBeUndefined();
  });

  it('tells apart ids that differ only in length, order or non-ASCII code units', () => {
    const cache = sized(1000);
    const users = cache.forTest('t');
    const ids = ['', 'a', 'aa', 'ab', 'ba', 'é', 'e\u0301', '\u{1F600}', 'a\u0000', '\u0000a'];
    ids.forEach((id, i) => users.set(id, i % 2 === 0 ? 'a' : 'b'));
    ids.forEach((id, i) => expect(users.get(id)).toBe(i % 2 === 0 ? 'a' : 'b'));
    expect(cache.stats.entries).toBe(ids.length);
  });

  it('is bounded by its byte budget, whatever the number of users', () => {
    const budget = 1024 * 1024;
    const cache = new AssignmentCache(budget);
    const users = cache.forTest('t');
    for (let i = 0; i < 500_000; i++) users.set(`u${i}`, 'a');
    expect(cache.stats.bytes).toBeLessThanOrEqual(budget);
    expect(cache.stats.entries).toBeLessThanOrEqual(2 * cache.stats.capacityPerGeneration);
    expect(cache.stats.capacityPerGeneration).toBe(Math.floor(Math.floor(budget / 2 / BYTES_PER_SLOT) * 0.7));
  });

  it('evicts users not read for two generations and keeps those that are read', () => {
    const cache = sized(100);
    const users = cache.forTest('t');
    const capacity = cache.stats.capacityPerGeneration;
    users.set('hot', 'b');
    users.set('cold', 'b');
    for (let i = 0; i < 3 * capacity; i++) {
      users.set(`filler-${i}`, 'a');
      if (i % 10 === 0) expect(users.get('hot')).toBe('b');
    }
    expect(users.get('hot')).toBe('b');
    expect(users.get('cold')).toBeUndefined();
  });

  it('allocates nothing until the first user is stored, and starts over after too many tests', () => {
    const cache = sized(100);
    expect(cache.stats.bytes).toBe(0);
    expect(cache.forTest('t').get('alice')).toBeUndefined();
    cache.forTest('t').set('alice', 'b');
    expect(cache.stats.bytes).toBeGreaterThan(0);
    for (let i = 0; i < 10_000; i++) cache.forTest(`other-${i}`);
    expect(cache.forTest('t').get('alice')).toBeUndefined();
  });

  it('refuses a budget too small to hold a table', () => {
    expect(() => new AssignmentCache(100)).toThrow(/at least/);
  });
});
