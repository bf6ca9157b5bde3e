import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { TestProject } from 'vitest/node';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { runMigrationsLocked } from '../../src/database/run-migrations.js';
import { freePort } from './free-port.js';
import { TEMPLATE_DATABASE } from './database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test cluster (database "postgres"). */
    adminDatabaseUrl: string;
    /** Folder for files tests create (removed afterwards). */
    testTmpDir: string;
  }
}

const execFileAsync = promisify(execFile);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'model-ab-test-'));
  await fs.chmod(tmpDir, 0o755);
  let embedded: EmbeddedPostgres | null = null;
  let adminUrl = process.env.TEST_DATABASE_URL;
  // The compiled app (dist/) is what process-level tests start, as `npm start` does. A build error
  // fails those tests with the compiler's message rather than stopping the whole run here.
  // Projects that share this setup (e2e, reliability) run it in one process: build once, so two
  // compilers never write dist/ at the same time.
  const shared = globalThis as { modelAbBuild?: Promise<void> };
  // The dashboard's assets (vite → dist/web) too: every project that starts the app serves them, and
  // the route-table suites expect its pages to answer, not 503 DASHBOARD_NOT_BUILT.
  const building = (shared.modelAbBuild ??= Promise.all([
    execFileAsync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: process.cwd() }),
    execFileAsync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'error'], { cwd: process.cwd() }),
  ]).then(
    () => undefined,
    (error: { cmd?: string; stdout?: string; stderr?: string }) => {
      console.error(`${error.cmd ?? 'build'} failed:\n${error.stdout ?? ''}${error.stderr ?? String(error)}`);
    },
  ));
  if (!adminUrl) {
    embedded = new EmbeddedPostgres({
      clusterDir: path.join(tmpDir, 'postgres'),
      passwordFile: path.join(tmpDir, 'postgres-password'),
      port: await freePort(),
      log: () => undefined,
    });
    adminUrl = await embedded.start();
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE}`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  const dataSource = await new DataSource(dataSourceOptions({ url: templateUrl.toString(), poolSize: 2 })).initialize();
  await runMigrationsLocked(dataSource);
  await dataSource.destroy();
  await building;

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('testTmpDir', tmpDir);

  return async () => {
    await embedded?.stop();
    await fs.rm(tmpDir, { recursive: true, force: true });
  };
}
