import pg from 'pg';

/** Row count and a sum of row versions (xmin) per table: any insert, update or delete changes it. */
export type Fingerprint = Record<string, string>;

/**
 * Watches every table of a database (on its own connection, outside the app's pool) so a test can
 * tell whether a request left anything behind.
 */
export class DatabaseWatcher {
  private sql = '';

  private constructor(private readonly client: pg.Client) {}

  static async connect(url: string): Promise<DatabaseWatcher> {
    const client = new pg.Client({ connectionString: url, application_name: 'reliability-watcher' });
    await client.connect();
    const watcher = new DatabaseWatcher(client);
    const { rows } = await client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
    watcher.sql = rows
      .map(({ tablename }) => `SELECT '${tablename}' AS name, count(*)::text || ':' || coalesce(sum(xmin::text::bigint), 0)::text AS print FROM "${tablename}"`)
      .join(' UNION ALL ');
    return watcher;
  }

  async fingerprint(): Promise<Fingerprint> {
    // Named: planned once on this connection, not on every call.
    const { rows } = await this.client.query<{ name: string; print: string }>({ name: 'reliability_fingerprint', text: this.sql });
    return Object.fromEntries(rows.map((row) => [row.name, row.print]));
  }

  /** Reads until two reads 5 ms apart agree (work an accepted request started in the background has landed). */
  async settled(timeoutMs = 2000): Promise<Fingerprint> {
    let previous = await this.fingerprint();
    const started = Date.now();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const next = await this.fingerprint();
      if (sameFingerprint(previous, next) || Date.now() - started > timeoutMs) return next;
      previous = next;
    }
  }

  async counts(): Promise<Record<string, number>> {
    const print = await this.fingerprint();
    return Object.fromEntries(Object.entries(print).map(([name, value]) => [name, Number(value.split(':')[0])]));
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

export function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  return Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([name, value]) => b[name] === value);
}

export function changedTables(a: Fingerprint, b: Fingerprint): string[] {
  return Object.keys({ ...a, ...b }).filter((name) => a[name] !== b[name]);
}
