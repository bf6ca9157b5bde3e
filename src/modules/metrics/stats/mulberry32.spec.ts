import { describe, expect, it } from 'vitest';
import { mulberry32, normalSampler } from './mulberry32.js';

describe('mulberry32', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
  });

  it('yields uniforms in [0, 1) with the right mean and variance', () => {
    const random = mulberry32(1);
    let sum = 0;
    let sumSquares = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = random();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sumSquares += u * u;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sumSquares / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 3);
  });
});

describe('normalSampler', () => {
  it('yields standard normals: mean 0, variance 1, 95% within ±1.96', () => {
    const normal = normalSampler(mulberry32(2));
    const n = 100_000;
    let sum = 0;
    let sumSquares = 0;
    let inside = 0;
    for (let i = 0; i < n; i++) {
      const z = normal();
      sum += z;
      sumSquares += z * z;
      if (Math.abs(z) < 1.959964) inside++;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.015);
    expect(sumSquares / n).toBeCloseTo(1, 1);
    expect(inside / n).toBeCloseTo(0.95, 2);
  });
});
