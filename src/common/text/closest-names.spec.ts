import { describe, expect, it } from 'vitest';
import { closestNames, editDistance } from './closest-names.js';

describe('closestNames', () => {
  it('measures edits', () => {
    expect(editDistance('safety_clasifier', 'safety_classifier')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'ab')).toBe(2);
  });

  it.each([
    ['safety_clasifier', ['intent_classifier', 'safety_classifier'], ['safety_classifier']],
    ['safety', ['intent_classifier', 'safety_classifier'], ['safety_classifier']],
    ['intent_classifer', ['intent_classifier', 'safety_classifier'], ['intent_classifier']],
    ['v2.0.1', ['v1.0.0', 'v2.0.0'], ['v2.0.0', 'v1.0.0']],
    ['spam_filter', ['intent_classifier', 'safety_classifier'], []],
  ])('%s among %j → %j', (given, candidates, expected) => {
    expect(closestNames(given, candidates)).toEqual(expected);
  });
});
