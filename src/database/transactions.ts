import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

declare const TX: unique symbol;

/**
 * An open database transaction, opaque to the services that pass it along: only repositories (and
 * database/) turn it back into a connection with `managerOf`. A service that must change several
 * tables atomically (complete + promote, ingestion guarded by the test's status) opens one with
 * `Transactions.run` and hands it to each repository call.
 */
export interface Tx {
  readonly [TX]: true;
}

/**
 * Opens transactions; the one way services start work that spans repositories. A DI token
 * (DatabaseModule binds DataSourceTransactions); unit specs of services pass FakeTransactions.
 */
export abstract class Transactions {
  /** Runs `work` in a new transaction, or in `outer` when the caller already holds one. Commits when `work` resolves, rolls back when it throws. */
  abstract run<T>(work: (tx: Tx) => Promise<T>, outer?: Tx): Promise<T>;
}

/** Transactions on the app's PostgreSQL connection pool. */
@Injectable()
export class DataSourceTransactions extends Transactions {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  run<T>(work: (tx: Tx) => Promise<T>, outer?: Tx): Promise<T> {
    if (outer) return work(outer);
    return this.dataSource.transaction((manager) => work(asTx(manager)));
  }
}

/** For repositories and database/ only: the connection of a transaction. */
export function managerOf(tx: Tx): EntityManager {
  return tx as unknown as EntityManager;
}

/** For repositories and database/ only: a transaction handle for a connection TypeORM gave them. */
export function asTx(manager: EntityManager): Tx {
  return manager as unknown as Tx;
}

/**
 * For unit specs of services: runs the work at once with a handle that fake repositories ignore.
 * It does not roll back; a spec that needs rollback semantics belongs on real PostgreSQL.
 */
export class FakeTransactions extends Transactions {
  /** Transactions opened so far (outer ones reused by `run(work, outer)` are not counted again). */
  opened = 0;

  run<T>(work: (tx: Tx) => Promise<T>, outer?: Tx): Promise<T> {
    if (outer) return work(outer);
    this.opened += 1;
    return work({} as Tx);
  }
}
