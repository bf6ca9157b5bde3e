import { describe, expect, it } from 'vitest';
import { AB_TEST_STATUSES, allowedActions, eventAction, LIFECYCLE_ACTIONS, nextStatus, type AbTestStatus, type LifecycleAction } from './lifecycle.js';

/** Every (status, action) pair and its outcome: null is an illegal transition (409). */
const TABLE: Array<[AbTestStatus, LifecycleAction, AbTestStatus | null]> = [
  ['draft', 'start', 'active'],
  ['draft', 'pause', null],
  ['draft', 'complete', null],
  ['draft', 'change_traffic_split', 'draft'],
  ['active', 'start', null],
  ['active', 'pause', 'paused'],
  ['active', 'complete', 'completed'],
  ['active', 'change_traffic_split', 'active'],
  ['paused', 'start', 'active'],
  ['paused', 'pause', null],
  ['paused', 'complete', 'completed'],
  ['paused', 'change_traffic_split', 'paused'],
  ['completed', 'start', null],
  ['completed', 'pause', null],
  ['completed', 'complete', null],
  ['completed', 'change_traffic_split', null],
];

describe('lifecycle state machine', () => {
  it('the table covers every (status, action) pair exactly once', () => {
    // Pairs, not a count: a duplicated row must not hide a missing one.
    const pairs = TABLE.map(([status, action]) => `${status} + ${action}`);
    const every = AB_TEST_STATUSES.flatMap((status) => LIFECYCLE_ACTIONS.map((action) => `${status} + ${action}`));
    expect(new Set(pairs).size).toBe(pairs.length);
    expect([...pairs].sort()).toEqual([...every].sort());
    expect(every).toHaveLength(16);
  });

  it.each(TABLE)('%s + %s → %s', (status, action, expected) => {
    expect(nextStatus(status, action)).toBe(expected);
  });

  it.each<[AbTestStatus, LifecycleAction[]]>([
    ['draft', ['start', 'change_traffic_split']],
    ['active', ['pause', 'complete', 'change_traffic_split']],
    ['paused', ['start', 'complete', 'change_traffic_split']],
    ['completed', []],
  ])('allowed from %s: %j', (status, actions) => {
    expect(allowedActions(status)).toEqual(actions);
  });

  it.each<[AbTestStatus, LifecycleAction, string]>([
    ['draft', 'start', 'started'],
    ['paused', 'start', 'resumed'],
    ['active', 'pause', 'paused'],
    ['active', 'complete', 'completed'],
    ['paused', 'change_traffic_split', 'traffic_split_changed'],
  ])('the audit action of %s + %s is %s', (status, action, expected) => {
    expect(eventAction(status, action)).toBe(expected);
  });

  it('fails loudly on an action outside the union (an unchecked cast), naming it', () => {
    expect(() => eventAction('active', 'restart' as LifecycleAction)).toThrow(new Error('unknown lifecycle action restart'));
  });
});
