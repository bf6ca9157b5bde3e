import { describe, expect, it } from 'vitest';
import { FakeTransactions, type Tx } from '../../database/transactions.js';
import { AggregateRowSet } from './aggregate-rows.js';
import { FakeAggregateStore } from './fake-aggregate.store.js';
import { FlushWriter } from './flush-writer.js';
import { RecordingTestsPort } from './recording-tests.js';

const ACTIVE = '11111111-1111-4111-8111-111111111111';
const DRAFT = '22222222-2222-4222-8222-222222222222';
const AT = Date.UTC(2026, 0, 5, 12, 30);

function rowsFor(...testIds: string[]) {
  const set = new AggregateRowSet();
  for (const testId of testIds) set.addRequests(testId, 'a', AT, 3, 1);
  return set.list();
}

function setUp(recording: readonly string[] = [ACTIVE]) {
  const store = new FakeAggregateStore();
  const transactions = new FakeTransactions();
  const port = new RecordingTestsPort();
  const asked: Array<readonly string[]> = [];
  port.provide({
    lockRecording: (_tx: Tx, testIds: readonly string[]) => {
      asked.push(testIds);
      return Promise.resolve(testIds.filter((id) => recording.includes(id)));
    },
  });
  return { store, transactions, asked, writer: new FlushWriter(transactions, store, port) };
}

describe('FlushWriter.apply', () => {
  it('writes the rows of recording tests in one transaction and tells the listeners after it', async () => {
    const { store, transactions, writer } = setUp();
    const heard: string[][] = [];
    store.onWritten((testIds) => heard.push(testIds));
    const outcome = await writer.apply('f-1', rowsFor(ACTIVE));
    expect(outcome).toMatchObject({ applied: true, testIds: [ACTIVE], droppedTestIds: [] });
    expect(transactions.opened).toBe(1);
    expect(store.stored(ACTIVE).filter((row) => row.grain === 'minute')).toMatchObject([{ metric: 'requests', count: 3, errors: 1 }]);
    expect(heard).toEqual([[ACTIVE]]);
  });

  it('drops the rows of tests that do not record, asking about every test of the flush once', async () => {
    const { store, asked, writer } = setUp();
    const outcome = await writer.apply('f-1', rowsFor(DRAFT, ACTIVE));
    expect(asked).toEqual([[ACTIVE, DRAFT]]);
    expect(outcome).toMatchObject({ applied: true, testIds: [ACTIVE], droppedTestIds: [DRAFT] });
    expect(store.stored(DRAFT)).toEqual([]);
    expect(store.stored(ACTIVE)).not.toEqual([]);
  });

  it('applies a flush id once: a retry of a flush that committed changes nothing', async () => {
    const { store, writer } = setUp();
    const rows = rowsFor(ACTIVE);
    await writer.apply('f-1', rows);
    const retry = await writer.apply('f-1', rows);
    expect(retry.applied).toBe(false);
    expect(store.stored(ACTIVE).find((row) => row.grain === 'day')).toMatchObject({ count: 3, errors: 1 });
  });

  it('fails (and is retried by MetricsService) while nothing provides RecordingTests', async () => {
    const writer = new FlushWriter(new FakeTransactions(), new FakeAggregateStore(), new RecordingTestsPort());
    await expect(writer.apply('f-1', rowsFor(ACTIVE))).rejects.toThrow('no module provides RecordingTests');
  });
});
