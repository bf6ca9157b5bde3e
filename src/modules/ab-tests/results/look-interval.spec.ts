import { describe, expect, it } from 'vitest';
import { lookInterval } from './look-interval.js';

const now = new Date('2026-03-01T12:00:00.000Z');
const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);

describe('lookInterval', () => {
  it.each<[string, Date | null, 'hour' | 'day']>([
    ['never started (draft)', null, 'hour'],
    ['started a minute ago', hoursAgo(1 / 60), 'hour'],
    ['a week old (168 hourly looks)', hoursAgo(168), 'hour'],
    ['exactly 200 hours: every hour still counts', hoursAgo(200), 'hour'],
    ['just over 200 hours', hoursAgo(200.01), 'day'],
    ['a month old', hoursAgo(30 * 24), 'day'],
    ['start date in the future (clock skew)', hoursAgo(-1), 'hour'],
  ])('%s → %s', (_name, startDate, expected) => {
    expect(lookInterval(startDate, now)).toBe(expected);
  });
});
