import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { runServerExpectingFailure, startServerProcess, type ServerProcess } from '../support/server-process.js';

/** The compiled service as `npm start` runs it: embedded PostgreSQL, signals, restarts. */
describe('the service process', () => {
  const dataDir = path.join(inject('testTmpDir'), 'process-data');
  const started: ServerProcess[] = [];
  let pgPort = 0;

  const start = async (env: Record<string, string> = {}) => {
    pgPort ||= await freePort();
    const server = await startServerProcess({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), ...env });
    started.push(server);
    return server;
  };
  const postgresRunning = () => {
    try {
      return execFileSync('pgrep', ['-f', `postgres -D ${dataDir}/postgres`]).toString().trim().length > 0;
    } catch {
      return false;
    }
  };
  const databaseUrl = async () =>
    `postgres://postgres:${encodeURIComponent((await fs.readFile(path.join(dataDir, 'postgres-password'), 'utf8')).trim())}@127.0.0.1:${pgPort}/postgres`;

  afterAll(async () => {
    for (const server of started) server.child.kill('SIGKILL');
    if (postgresRunning()) execFileSync('pkill', ['-INT', '-f', `postgres -D ${dataDir}/postgres`]);
  });

  it('starts on an empty data folder, prints its URL and a working admin token', async () => {
    const server = await start();
    expect(server.adminToken).toBeTruthy();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: 'admin', roles: ['admin'] });

    const client = new pg.Client({ connectionString: await databaseUrl() });
    await client.connect();
    await client.query('CREATE TABLE restart_probe (value text); INSERT INTO restart_probe VALUES ($1)', ['kept']).catch(async () => {
      await client.query('CREATE TABLE restart_probe (value text)');
      await client.query("INSERT INTO restart_probe VALUES ('kept')");
    });
    await client.end();

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('embedded PostgreSQL stopped');
    expect(postgresRunning()).toBe(false);
  });

  it('restarts with the same secret and data; /health/ready answers 503 when PostgreSQL is down', async () => {
    const first = started[0]!;
    const server = await start();
    const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${first.adminToken}` } });
    expect(me.status).toBe(200);
    const client = new pg.Client({ connectionString: await databaseUrl() });
    await client.connect();
    expect((await client.query('SELECT value FROM restart_probe')).rows).toEqual([{ value: 'kept' }]);
    await client.end();

    const pid = Number((await fs.readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && postgresRunning(); i++) await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status_code: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('after kill -9 the next start adopts the PostgreSQL server left behind and keeps the data', async () => {
    const crashed = await start();
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect(postgresRunning()).toBe(true);

    const server = await start();
    expect(server.output()).toMatch(/adopting the PostgreSQL server/);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    const client = new pg.Client({ connectionString: await databaseUrl() });
    await client.connect();
    expect((await client.query('SELECT value FROM restart_probe')).rows).toEqual([{ value: 'kept' }]);
    await client.end();
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    expect(postgresRunning()).toBe(false);
  });

  it('refuses a bad configuration value with one line naming the variable', async () => {
    const result = await runServerExpectingFailure({ PORT: 'eighty', DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.output.trim()).toBe('Invalid configuration: PORT must be a whole number, got "eighty"');
  });

  it('refuses to start in production without JWT_SECRET', async () => {
    const result = await runServerExpectingFailure({ NODE_ENV: 'production', DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.output.trim()).toBe('Invalid configuration: JWT_SECRET is required when NODE_ENV=production');
  });
});
