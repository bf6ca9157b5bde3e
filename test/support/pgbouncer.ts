import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const execFileAsync = promisify(execFile);

/** Where Debian's `pgbouncer` package puts the binary (also looked up on PATH). */
const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'];

export async function findPgBouncer(): Promise<string | null> {
  for (const candidate of CANDIDATES) {
    if (await fs.access(candidate, fs.constants.X_OK).then(() => true, () => false)) return candidate;
  }
  const found = await execFileAsync('sh', ['-c', 'command -v pgbouncer']).then((r) => r.stdout.trim(), () => '');
  return found || null;
}

/**
 * Whether the suite can run against PgBouncer here. Without it a dev machine skips with one line;
 * in CI (`CI=true`) a missing pgbouncer is a failure, since .ci/run installs it.
 */
export async function pgBouncerOrSkip(): Promise<string | null> {
  const binary = await findPgBouncer();
  if (binary) return binary;
  if (process.env.CI === 'true') throw new Error('pgbouncer is not installed (CI=true): .ci/run installs the Debian package `pgbouncer`');
  console.log('[pgbouncer] skipped: pgbouncer is not installed (apt-get install pgbouncer)');
  return null;
}

export interface RunningPgBouncer {
  /** `postgres://…@127.0.0.1:<port>/<database>` through the pooler (transaction pooling). */
  urlFor(database: string): string;
  port: number;
  /** SHOW commands on the admin console (e.g. `SHOW POOLS`). */
  admin(command: string): Promise<Array<Record<string, unknown>>>;
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts Debian's PgBouncer (1.18 here: no prepared statements in transaction pooling) in front of
 * the PostgreSQL at `serverUrl`, in transaction pooling, every database forwarded. It refuses to
 * run as root, so as root it runs as `nobody` with its files readable (and its folder writable) by
 * that user; it listens on TCP only.
 */
export async function startPgBouncer(binary: string, serverUrl: string, folder: string, options: { poolSize?: number } = {}): Promise<RunningPgBouncer> {
  const server = new URL(serverUrl);
  const dir = path.join(folder, `pgbouncer-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true });
  await fs.chmod(dir, 0o777);
  const port = await freePort();
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const ini = [
    '[databases]',
    `* = host=${server.hostname} port=${server.port || 5432} user=${user} password=${password}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    // Test only: the pooler is on loopback and logs in to the server with the password above.
    'auth_type = any',
    'admin_users = pgbouncer_admin',
    'pool_mode = transaction',
    'max_client_conn = 1000',
    `default_pool_size = ${options.poolSize ?? 8}`,
    'server_reset_query =',
    `logfile = ${dir}/pgbouncer.log`,
    `pidfile = ${dir}/pgbouncer.pid`,
    '',
  ].join('\n');
  const iniFile = path.join(dir, 'pgbouncer.ini');
  await fs.writeFile(iniFile, ini, { mode: 0o644 });
  const asRoot = process.getuid?.() === 0;
  await execFileAsync(binary, asRoot ? ['-d', '-u', 'nobody', iniFile] : ['-d', iniFile]).catch(async (error: unknown) => {
    const log = await fs.readFile(path.join(dir, 'pgbouncer.log'), 'utf8').catch(() => '');
    throw new Error(`pgbouncer did not start: ${String(error)}\n${log}`, { cause: error });
  });
  const running: RunningPgBouncer = {
    port,
    urlFor: (database) => `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    admin: async (command) => {
      const client = new pg.Client({ connectionString: `postgres://pgbouncer_admin@127.0.0.1:${port}/pgbouncer` });
      await client.connect();
      try {
        // Without parameters pg uses the simple query protocol, the only one the admin console speaks.
        return (await client.query(command)).rows as Array<Record<string, unknown>>;
      } finally {
        await client.end();
      }
    },
    log: () => fs.readFile(path.join(dir, 'pgbouncer.log'), 'utf8').catch(() => ''),
    stop: async () => {
      const pid = Number((await fs.readFile(path.join(dir, 'pgbouncer.pid'), 'utf8').catch(() => '')).trim());
      if (!pid) return;
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        return;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      process.kill(pid, 'SIGKILL');
    },
  };
  // Wait until it accepts connections.
  for (let attempt = 0; ; attempt++) {
    try {
      await running.admin('SHOW VERSION');
      return running;
    } catch (error) {
      if (attempt > 100) throw new Error(`pgbouncer does not answer on port ${port}: ${String(error)}\n${await running.log()}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
