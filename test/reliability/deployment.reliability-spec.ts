import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { bearer } from '../support/ab-test-factory.js';
import { freePort } from '../support/free-port.js';
import { createTestApp } from '../support/test-app.js';

/**
 * Audit finding 10 (issue 11): what ships around the code. No Docker engine runs here, so the
 * Docker files are read for the properties that matter; the database role they create is tried for
 * real on the test cluster, and so is the embedded PostgreSQL's first start.
 */

const ROOT = process.cwd();
const read = (file: string) => fs.readFile(path.join(ROOT, file), 'utf8');
const figures: string[] = [];

/** psql's `:"name"` (identifier) and `:'name'` (literal) variables, as psql -v would fill them. */
function fillPsqlVariables(script: string, values: Record<string, string>): string {
  return script
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .replace(/:"(\w+)"|:'(\w+)'/g, (_match, identifier: string | undefined, literal: string | undefined) => {
      const value = values[(identifier ?? literal)!];
      if (value === undefined) throw new Error(`no value for psql variable ${identifier ?? literal}`);
      return identifier ? `"${value.replaceAll('"', '""')}"` : `'${value.replaceAll("'", "''")}'`;
    });
}

async function asSuperuser<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function withCredentials(url: string, user: string, password: string, database: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

describe('deployment (audit finding 10)', () => {
  afterAll(() => {
    console.log(`[reliability] deployment: ${figures.join('; ')}`);
  });

  describe('Docker files', () => {
    it('.dockerignore keeps secrets and local state out of the build context', async () => {
      const ignored = (await read('.dockerignore')).split('\n').map((line) => line.trim());
      const missing = ['.env', '.env.*', 'data', 'node_modules', '.git', 'dist'].filter((entry) => !ignored.includes(entry));
      figures.push(`.dockerignore misses ${JSON.stringify(missing)}`);
      expect(missing).toEqual([]);
    });

    it('the image is built in stages and runs production dependencies as a non-root user, with a health check', async () => {
      const dockerfile = await read('Dockerfile');
      const stages = dockerfile.split(/^FROM /m).slice(1);
      const runtime = stages.at(-1) ?? '';
      const user = /^USER\s+(\S+)/m.exec(runtime)?.[1] ?? null;
      figures.push(`Dockerfile: ${stages.length} stage(s), USER ${user}, HEALTHCHECK ${/^HEALTHCHECK /m.test(runtime)}, production deps ${/npm ci --omit=dev/.test(runtime)}`);
      expect(stages.length).toBeGreaterThanOrEqual(2);
      expect(user).not.toBeNull();
      expect(['root', '0', '0:0']).not.toContain(user);
      expect(runtime).toMatch(/^HEALTHCHECK [\s\S]*?\/health\/ready/m);
      expect(runtime).toMatch(/npm ci --omit=dev/);
      // The runtime stage copies what it needs, never the whole context.
      expect(runtime).not.toMatch(/^COPY \. /m);
      expect(dockerfile).not.toMatch(/^(ENV|ARG)\s.*(SECRET|PASSWORD|TOKEN)\s*=/im);
    });

    it('compose takes every secret from the environment, publishes on loopback only and serves as a role that is not the owner', async () => {
      const compose = await read('docker-compose.yml');
      const ports = [...compose.matchAll(/^\s+-\s+'?([^'\n]+:\d+)'?\s*$/gm)].map((match) => match[1]!).filter((entry) => /^\S*\d+:\d+$/.test(entry));
      const secrets = [...compose.matchAll(/^\s+(\w*(?:PASSWORD|SECRET|TOKEN)\w*):\s*(.+)$/gm)].map(([, name, value]) => ({ name: name!, value: value!.trim() }));
      const literalSecrets = secrets.filter(({ value }) => !value.startsWith('${'));
      const urls = [...compose.matchAll(/postgres:\/\/([^:@\s]+):([^@\s]+)@/g)].map(([, user, password]) => ({ user: user!, password: password! }));
      const owner = /POSTGRES_USER:\s*(\S+)/.exec(compose)?.[1];
      const servesAs = /^\s+DATABASE_URL:\s*postgres:\/\/([^:@\s]+)/m.exec(compose)?.[1];
      figures.push(`compose: ports ${JSON.stringify(ports)}, literal secrets ${JSON.stringify(literalSecrets.map(({ name }) => name))}, app serves as ${servesAs} (owner ${owner})`);
      expect(ports.length).toBeGreaterThan(0);
      for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:/);
      expect(literalSecrets).toEqual([]);
      for (const { password } of urls) expect(password).toMatch(/^\$\{/);
      expect(servesAs).toBeDefined();
      expect(servesAs).not.toBe(owner);
      expect(compose).toMatch(/DATABASE_MIGRATION_URL:\s*postgres:\/\/\S+/);
      expect(compose).toMatch(/\.\/docker\/db-init:\/docker-entrypoint-initdb\.d/);
      expect(await read('docker/db-init/10-app-role.sh')).toContain('app-role.psql');
    });
  });

  it('the app role created by docker/db-init serves the API but cannot change the schema; migrations run as the owner', async () => {
    const suffix = randomBytes(4).toString('hex');
    const database = `model_ab_roles_${suffix}`;
    const owner = `model_ab_owner_${suffix}`;
    const appUser = `model_ab_app_${suffix}`;
    const ownerPassword = randomBytes(12).toString('hex');
    const appPassword = randomBytes(12).toString('hex');
    const adminUrl = inject('adminDatabaseUrl');
    await asSuperuser(async (client) => {
      await client.query(`CREATE ROLE ${owner} LOGIN PASSWORD '${ownerPassword}'`);
      await client.query(`CREATE DATABASE ${database} OWNER ${owner}`);
    });
    const script = fillPsqlVariables(await read('docker/db-init/app-role.psql'), { owner, dbname: database, app_user: appUser, app_password: appPassword });
    // As the image runs it: in the new database, as the superuser POSTGRES_USER, before any table exists.
    const setup = new pg.Client({ connectionString: withCredentials(adminUrl, new URL(adminUrl).username, decodeURIComponent(new URL(adminUrl).password), database) });
    await setup.connect();
    await setup.query(script);
    await setup.end();

    const appUrl = withCredentials(adminUrl, appUser, appPassword, database);
    const ownerUrl = withCredentials(adminUrl, owner, ownerPassword, database);
    let started: Awaited<ReturnType<typeof createTestApp>> | null = null;
    try {
      started = await createTestApp({ DATABASE_MIGRATION_URL: ownerUrl }, { database: { url: appUrl } }).catch((error: unknown) => {
        figures.push(`app as ${appUser} with migrations as the owner: start failed (${String((error as Error).message).split('\n')[0]})`);
        throw error;
      });
      await started.http().get('/health/ready').expect(200);
      await started.http().post('/api/v1/models').set(bearer(started.tokens.admin)).send({ name: `roles_${suffix}`, task: 'text-classification' }).expect(201);
      const tables = await started.dataSource.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tableowner = $1`, [owner]);
      expect(tables[0].n).toBeGreaterThan(5);
      const denied: string[] = [];
      for (const statement of ['CREATE TABLE intruder (id int)', 'DROP TABLE models', 'ALTER TABLE models ADD COLUMN x int', 'TRUNCATE predictions']) {
        await started.dataSource.query(statement).then(
          () => undefined,
          (error: { code?: string }) => {
            if (error.code === '42501') denied.push(statement.split(' ').slice(0, 2).join(' '));
          },
        );
      }
      figures.push(`app role ${appUser}: served the API; refused ${denied.join(', ')}`);
      expect(denied).toEqual(['CREATE TABLE', 'DROP TABLE', 'ALTER TABLE', 'TRUNCATE predictions']);
    } finally {
      await started?.app.close();
      await asSuperuser(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await client.query(`DROP ROLE IF EXISTS ${appUser}`);
        await client.query(`DROP ROLE IF EXISTS ${owner}`);
      });
    }
  });

  it("the embedded PostgreSQL's initdb password file is 0600 inside DATA_DIR, never in the shared temp folder", async () => {
    const dataDir = path.join(inject('testTmpDir'), `initdb-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(dataDir, { recursive: true, mode: 0o755 });
    // A temp folder of this test's own (os.tmpdir() reads TMPDIR), so other processes' files are not counted.
    const tempDir = path.join(inject('testTmpDir'), `tmp-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(tempDir, { recursive: true, mode: 0o777 });
    const previousTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = tempDir;
    const seen = new Map<string, number>();
    const look = async (dir: string, prefix: string) => {
      for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
        if (!name.startsWith(prefix)) continue;
        const stat = await fs.stat(path.join(dir, name)).catch(() => null);
        if (stat) seen.set(path.join(dir, name), stat.mode & 0o777);
      }
    };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        await Promise.all([look(tempDir, 'model-ab-pw-'), look(dataDir, '.initdb-password-')]);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const postgres = new EmbeddedPostgres({ clusterDir: path.join(dataDir, 'postgres'), passwordFile: path.join(dataDir, 'postgres-password'), port: await freePort(), log: () => undefined });
    try {
      await postgres.start();
    } finally {
      watching = false;
      await watcher;
      await postgres.stop();
      if (previousTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previousTmpdir;
    }
    const files = [...seen].map(([file, mode]) => `${file.startsWith(dataDir) ? 'DATA_DIR' : 'TMPDIR'}/${path.basename(file).replace(/[0-9a-f]{12}$/, '…')} ${mode.toString(8)}`);
    figures.push(`initdb password file: ${files.join(', ') || 'not seen'}`);
    expect(seen.size).toBe(1);
    const [[file, mode]] = [...seen];
    expect(path.dirname(file!)).toBe(dataDir);
    expect(mode).toBe(0o600);
    await expect(fs.access(file!)).rejects.toThrow();
  });
});
