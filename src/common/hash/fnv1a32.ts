/**
 * 32-bit FNV-1a over the UTF-16 code units of a string (not its UTF-8 bytes).
 * This is the exact function GrowthBook's SDKs use for hash v2 bucketing, so it must stay
 * bit-for-bit identical: `Math.imul` keeps the multiply in 32 bits, `>>> 0` makes it unsigned.
 */
export function fnv1a32(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
