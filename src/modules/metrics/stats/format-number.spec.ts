import { describe, expect, it } from 'vitest';
import { formatNumber, formatSignedPercent } from './format-number.js';

describe('formatNumber', () => {
  it.each<[number, string]>([
    [0, '0'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [1234.5678, '1235'],
    [-0.5, '-0.5'],
    [0.1 + 0.2, '0.3'],
    // The plain range is [1e-4, 1e9): both ends written out.
    [1e-4, '0.0001'],
    [-1e-4, '-0.0001'],
    [9.99e-5, '9.990e-5'],
    [999_999_999, '1000000000'],
    [1e9, '1.000e+9'],
    [-1e9, '-1.000e+9'],
    [2.5e12, '2.500e+12'],
  ])('%d → %s', (x, expected) => {
    expect(formatNumber(x)).toBe(expected);
  });
});

describe('formatSignedPercent', () => {
  it.each<[number, string]>([
    [0.0512, '+5.12%'],
    [-0.25, '-25%'],
    [0, '0%'],
    [2e-7, '+2.000e-5%'],
  ])('%d → %s', (x, expected) => {
    expect(formatSignedPercent(x)).toBe(expected);
  });
});
