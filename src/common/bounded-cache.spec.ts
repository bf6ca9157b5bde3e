import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('keeps at most two generations', () => {
    const cache = new BoundedCache<string, number>(3);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBeLessThanOrEqual(6);
    expect(cache.get('k9')).toBe(9);
    expect(cache.get('k0')).toBeUndefined();
  });

  it('a read copies an old entry forward so it survives the next rotation', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // rotation: {a, b} become old
    expect(cache.get('a')).toBe(1); // copied into the current generation
    cache.set('d', 4); // rotation: {c, a} old, {b} dropped
    expect(cache.get('a')).toBe(1);
    expect(cache.get('b')).toBeUndefined();
  });

  it('set replaces a value wherever it lives', () => {
    const cache = new BoundedCache<string, number>(1);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    expect(cache.get('a')).toBe(3);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('rejects a non-positive size', () => {
    expect(() => new BoundedCache(0)).toThrow();
  });
});
