import { describe, expect, it } from 'vitest';
import { fnv1a32 } from './fnv1a32.js';

describe('fnv1a32', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('hashes %j like the reference FNV-1a', (input, expected) => {
    expect(fnv1a32(input)).toBe(expected);
  });
});
