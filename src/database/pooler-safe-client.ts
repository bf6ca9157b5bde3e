import pg from 'pg';

/**
 * A pg Client for a pooler in transaction pooling (PgBouncer before 1.21): there, consecutive
 * statements of one client may run on different server connections, so a named prepared statement
 * made on one is missing ("prepared statement … does not exist") on the next. This client sends
 * every query as an unnamed statement (parse, bind and execute in one round trip, which is what the
 * pooler supports); code that names its statements for speed on a direct connection needs no
 * change.
 */
export class UnnamedStatementsClient extends pg.Client {
  // pg's query() has many overloads; this one only rewrites the config object and passes the rest on.
  override query(...args: unknown[]): never {
    const [config] = args;
    if (config && typeof config === 'object' && !('submit' in config && typeof config.submit === 'function') && 'name' in config && config.name !== undefined) {
      args[0] = { ...config, name: undefined };
    }
    return (super.query as (...rest: unknown[]) => never)(...args);
  }
}
