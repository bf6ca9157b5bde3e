/**
 * What every bench does around its measurements: build the compiled app, run an embedded
 * PostgreSQL in a temporary folder, start the app (`dist/`, as `npm start` runs it) pinned to core 0
 * and wait for it, talk to its API, and stop it all again.
 */
import { execFileSync, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signToken } from '../../src/auth/token-signer.js';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { freePort } from '../../test/support/free-port.js';
import { pin } from './cpu.js';

export { freePort };

/** Progress lines on stderr, `[bench:<name>] …`, so stdout holds the results alone. */
export function benchLog(name: string): (message: string) => void {
  return (message) => process.stderr.write(`[bench:${name}] ${message}\n`);
}

/** Compiles the app into dist/ (unless `skip`). */
export function build(skip: boolean, log: (message: string) => void): void {
  if (skip) return;
  log('building (tsc -p tsconfig.build.json)');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}

/** Runs an entry point's `main`, printing the stack and exiting 1 when it fails. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  });
}

/**
 * Runs `bench` with an embedded PostgreSQL in a fresh temporary folder; stops the database and
 * removes the folder afterwards, whatever happened.
 */
export async function withBenchPostgres<T>(bench: (context: { tmp: string; databaseUrl: string }) => Promise<T>): Promise<T> {
  // The embedded PostgreSQL runs as another user when we are root: its folder must be traversable.
  const tmp = fs.mkdtempSync(path.join(fs.existsSync('/var/tmp') ? '/var/tmp' : os.tmpdir(), 'model-ab-bench-'));
  fs.chmodSync(tmp, 0o755);
  const postgres = new EmbeddedPostgres({
    clusterDir: path.join(tmp, 'postgres'),
    passwordFile: path.join(tmp, 'postgres-password'),
    port: await freePort(),
    log: () => undefined,
  });
  try {
    const databaseUrl = await postgres.start();
    return await bench({ tmp, databaseUrl });
  } finally {
    await postgres.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export interface AppEnv {
  port: number;
  databaseUrl: string;
  jwtSecret: string;
  dataDir: string;
  /** Further variables (SEED_EXAMPLE_MODELS, RATE_LIMIT_WRITES_PER_MINUTE, …). */
  extra?: Record<string, string>;
}

/** The environment of a benchmarked app: production mode, warnings only, on loopback. */
export function appEnv(env: AppEnv): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(env.port),
    HOST: '127.0.0.1',
    DATABASE_URL: env.databaseUrl,
    JWT_SECRET: env.jwtSecret,
    DATA_DIR: env.dataDir,
    ...env.extra,
  };
}

/** A benchmarked server process. */
export interface BenchProcess {
  child: ChildProcess;
  exited: Promise<void>;
  /** SIGTERM, and wait for the exit (nothing when it has exited already). */
  stop: () => Promise<void>;
}

/** Spawns `node <args>` pinned to core 0. */
export function spawnPinned(nodeArgs: string[], env: Record<string, string>, stdio: StdioOptions): BenchProcess {
  const [command, ...args] = [...pin(0), process.execPath, ...nodeArgs];
  const child = spawn(command!, args, { env, stdio });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  return { child, exited, stop };
}

export interface StartedApp extends BenchProcess {
  url: string;
}

/** Starts the compiled app (`dist/src/main.js`) on a free port, pinned to core 0, and waits until /health/ready answers. */
export async function startApp(env: Omit<AppEnv, 'port'>): Promise<StartedApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawnPinned(['dist/src/main.js'], appEnv({ ...env, port }), ['ignore', 'pipe', 'pipe']);
  let output = '';
  server.child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`the server exited:\n${output}`);
    if (await fetch(`${url}/health/ready`).then((r) => r.ok, () => false)) return { ...server, url };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await server.stop();
  throw new Error(`the server did not become ready:\n${output}`);
}

/** One JSON API call (`/api/v1<route>`) with a bearer token; throws on a non-2xx answer. */
export async function api(url: string, token: string, method: string, route: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${route} → ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Creates and starts the benches' A/B test: safety_classifier v1.0.0 vs v2.0.0, 50/50. Returns its id. */
export async function startSafetyTest(url: string, adminToken: string): Promise<string> {
  const test = await api(url, adminToken, 'POST', '/ab-tests', {
    name: 'bench: safety v1 vs v2',
    model_type: 'safety_classifier',
    variant_a: 'v1.0.0',
    variant_b: 'v2.0.0',
    traffic_split: { a: 0.5, b: 0.5 },
  });
  const testId = String(test.test_id);
  await api(url, adminToken, 'POST', `/ab-tests/${testId}/start`);
  return testId;
}

/** One user token per simulated user: `bench-user-<i>`. */
export function userTokens(key: KeyObject, count: number): string[] {
  return Array.from({ length: count }, (_, i) => signToken(key, { sub: `bench-user-${i}`, roles: ['user'], ttl: '2h' }));
}
