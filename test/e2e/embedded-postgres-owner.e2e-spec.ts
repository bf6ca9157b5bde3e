import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { EmbeddedPostgres, SERVER_OS_USER } from '../../src/database/embedded-postgres.js';
import { freePort } from '../support/free-port.js';

const NOBODY_UID = 65534;
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('[embedded-postgres-owner] skipped: needs root (the server then runs as another user)');

/*
 * A Debian PostgreSQL install re-creates the `postgres` system user with another uid, and a
 * cluster made earlier then belongs to a uid nobody runs as: pg_ctl failed with "Permission denied"
 * followed by the previous run's log. The server now runs as its own user, and a cluster owned by
 * another uid is given back to it (as root), with a line saying so.
 */
describe.skipIf(!isRoot)('embedded PostgreSQL whose cluster belongs to another uid', () => {
  const dir = path.join(os.tmpdir(), `model-ab-owner-${process.pid}`);
  const lines: string[] = [];
  let server: EmbeddedPostgres | null = null;
  afterAll(async () => {
    await server?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('is given back to the server user and starts, saying what happened', async () => {
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    const options = { clusterDir: path.join(dir, 'postgres'), port: await freePort(), passwordFile: path.join(dir, 'pw'), log: (line: string) => lines.push(line) };
    server = new EmbeddedPostgres(options);
    await server.start();
    await server.stop();
    // What the system package did: the cluster now belongs to another uid.
    for (const entry of ['', ...(await fs.readdir(options.clusterDir, { recursive: true }))]) await fs.lchown(path.join(options.clusterDir, entry), NOBODY_UID, NOBODY_UID);
    await fs.appendFile(path.join(options.clusterDir, 'server.log'), 'FATAL:  a failure of an earlier run\n');

    lines.length = 0;
    server = new EmbeddedPostgres(options);
    const url = await server.start();
    expect(lines.join('\n')).toMatch(new RegExp(`belongs to uid ${NOBODY_UID} \\(nobody\\), not to ${SERVER_OS_USER} .*giving it to ${SERVER_OS_USER}`));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await client.end();
  });
});
