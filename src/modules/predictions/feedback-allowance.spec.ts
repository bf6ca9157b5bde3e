import { describe, expect, it } from 'vitest';
import { FeedbackAllowance } from './feedback-allowance.js';

describe('FeedbackAllowance', () => {
  it('allows `limit` per window per user, says how long to wait, and starts over after the window', () => {
    let now = 1_000_000;
    const allowance = new FeedbackAllowance(2, 60_000, () => now);
    expect([allowance.take('a'), allowance.take('a')]).toEqual([null, null]);
    now += 15_000;
    expect(allowance.take('a')).toBe(45);
    expect(allowance.take('b')).toBeNull();
    now += 44_500;
    expect(allowance.take('a')).toBe(1);
    now += 500;
    expect(allowance.take('a')).toBeNull();
  });

  it('0 means no limit', () => {
    const allowance = new FeedbackAllowance(0, 60_000);
    for (let i = 0; i < 1000; i++) expect(allowance.take('a')).toBeNull();
  });
});
