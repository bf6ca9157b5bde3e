import { describe, expect, it } from 'vitest';
import { isUuid } from './uuid.js';

describe('isUuid', () => {
  it.each([
    ['0b6f6a1e-4a43-4d8e-a3a5-4f6f2f0b9d11', true],
    ['0B6F6A1E-4A43-4D8E-A3A5-4F6F2F0B9D11', true],
    ['0b6f6a1e4a434d8ea3a54f6f2f0b9d11', false],
    ["1' OR '1'='1", false],
    ['', false],
    [undefined, false],
    [42, false],
  ])('%s → %s', (value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});
