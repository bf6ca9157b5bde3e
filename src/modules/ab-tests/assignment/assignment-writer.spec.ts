import { describe, expect, it } from 'vitest';
import { AssignmentWriter } from './assignment-writer.js';
import { FakeAssignmentStore } from './fake-assignment.store.js';

describe('AssignmentWriter', () => {
  it('answers with the stored variant: the first assignment of a user sticks', async () => {
    const store = new FakeAssignmentStore();
    const writer = new AssignmentWriter(store);
    expect(await writer.assign('t1', 'alice', 'b', 1)).toBe('b');
    expect(await writer.assign('t1', 'alice', 'a', 2)).toBe('b');
    expect(await store.countAssignments('t1')).toEqual([{ splitVersion: 1, variant: 'b', count: 1 }]);
  });

  it('a burst of one new user shares one row', async () => {
    const store = new FakeAssignmentStore();
    const writer = new AssignmentWriter(store);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => writer.assign('t1', 'bob', i % 2 ? 'a' : 'b', 1)));
    expect(new Set(answers)).toEqual(new Set(['b']));
    expect(store.rows.size).toBe(1);
  });

  it('stores nothing for a test that is no longer active and answers null', async () => {
    const store = new FakeAssignmentStore((testId) => testId !== 'paused');
    const writer = new AssignmentWriter(store);
    expect(await writer.assign('paused', 'carol', 'a', 1)).toBeNull();
    expect(store.rows.size).toBe(0);
  });

  it('keys the row by the stored spelling of the user id (lone surrogates become U+FFFD)', async () => {
    const store = new FakeAssignmentStore();
    const writer = new AssignmentWriter(store);
    expect(await writer.assign('t1', 'x\uD800', 'a', 1)).toBe('a');
    expect([...store.rows.values()][0]!.userId).toBe('x\uFFFD');
  });
});
