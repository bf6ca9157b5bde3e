import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { DataSourceTransactions, managerOf, type Transactions, type Tx } from '../../src/database/transactions.js';
import { createTestDatabase } from '../support/database.js';

/** The transaction helper services use for work that spans repositories, on real PostgreSQL. */
describe('Transactions', () => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let transactions: Transactions;

  const insert = (tx: Tx, name: string) => managerOf(tx).query(`INSERT INTO tx_probe (name) VALUES ($1)`, [name]);
  const names = async () => ((await dataSource.query(`SELECT name FROM tx_probe ORDER BY name`)) as Array<{ name: string }>).map((r) => r.name);

  beforeAll(async () => {
    const database = await createTestDatabase(inject('adminDatabaseUrl'));
    drop = database.drop;
    dataSource = await new DataSource(dataSourceOptions({ url: database.url, poolSize: 2 })).initialize();
    await dataSource.query(`CREATE TABLE tx_probe (name text PRIMARY KEY)`);
    transactions = new DataSourceTransactions(dataSource);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await drop?.();
  });

  it('commits every write of the work when it resolves', async () => {
    const result = await transactions.run(async (tx) => {
      await insert(tx, 'a1');
      await insert(tx, 'a2');
      return 'done';
    });
    expect(result).toBe('done');
    expect(await names()).toEqual(['a1', 'a2']);
  });

  it('rolls back every write of the work when it throws, and rethrows', async () => {
    await expect(
      transactions.run(async (tx) => {
        await insert(tx, 'b1');
        throw new Error('rule broken');
      }),
    ).rejects.toThrow('rule broken');
    expect(await names()).toEqual(['a1', 'a2']);
  });

  it('joins the outer transaction when given one: its rollback undoes the inner work too', async () => {
    await expect(
      transactions.run(async (outer) => {
        await transactions.run((tx) => insert(tx, 'c1'), outer);
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await names()).toEqual(['a1', 'a2']);
  });
});
