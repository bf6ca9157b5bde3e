/**
 * The in-process half of bench/assign.ts: builds the compiled app (dist/, which carries the
 * decorator metadata Nest's DI needs — tsx does not emit it) against the bench database, without
 * listening, and calls AssignmentService.getModelVersionForUser directly. Then it listens and
 * measures the bytes the V8 heap allocates per request (v8.GCProfiler: the used heap's growth between
 * collections) on the variant route, /auth/me and a bare Fastify hello in this process, under load
 * from autocannon in a process on the other core. Run pinned to one core:
 * `taskset -c 0 node --import tsx bench/assign-inprocess.ts <config.json>`. Prints one JSON line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import Fastify from 'fastify';
import { secretKey, signToken } from '../src/auth/token-signer.js';
import { freePort } from '../test/support/free-port.js';
import type { AssignLoadConfig, AssignLoadResult } from './assign-load.js';
import { runLoadAsync } from './support/load.js';

export interface InProcessConfig {
  databaseUrl: string;
  jwtSecret: string;
  dataDir: string;
  modelType: string;
  /** Distinct already-assigned users cycled through in the timed loop. */
  users: number;
  /** Timed calls for assigned users. */
  calls: number;
  /** Brand-new users assigned (and stored) in the second timed run. */
  newUsers: number;
  /** Folder for the load generator's config files. */
  tmp: string;
  /** Seconds of load per route for the allocation measurement. */
  allocationSeconds: number;
}

export interface InProcessResult {
  assigned_calls_per_s: number;
  assigned_ns_per_call: number;
  new_users_per_s: number;
  hash_calls_per_s: number;
  /** V8 heap bytes allocated per request, over HTTP in this process. */
  allocated_bytes_per_request: { variant: number; me: number; bare_fastify: number };
}

type Dist = {
  app: {
    createApp: (
      config: unknown,
      options: { logger: false },
    ) => Promise<{ get: (token: unknown) => unknown; close: () => Promise<void>; listen: (port: number, host: string) => Promise<unknown> }>;
  };
  config: { AppConfig: new (values: unknown) => unknown; loadConfig: (env: Record<string, string>) => Record<string, unknown> };
  assignment: { AssignmentService: abstract new (...args: never[]) => unknown };
  bucketing: { hashV2: (seed: string, id: string) => number };
};

async function loadDist(): Promise<Dist> {
  const from = (file: string) => import(pathToFileURL(path.resolve('dist/src', file)).href);
  return {
    app: (await from('app.js')) as Dist['app'],
    config: (await from('config/app-config.js')) as Dist['config'],
    assignment: (await from('modules/ab-tests/assignment/assignment.service.js')) as Dist['assignment'],
    bucketing: (await from('modules/ab-tests/assignment/bucketing.js')) as Dist['bucketing'],
  };
}

interface Assigner {
  getModelVersionForUser(userId: string, modelType: string): Promise<unknown>;
}

async function main(): Promise<void> {
  const config = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as InProcessConfig;
  await import('reflect-metadata');
  const dist = await loadDist();
  const appConfig = new dist.config.AppConfig({
    ...dist.config.loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'error', DATA_DIR: config.dataDir, SEED_EXAMPLE_MODELS: 'false', JWT_SECRET: config.jwtSecret }),
    databaseUrl: config.databaseUrl,
    jwtSecret: config.jwtSecret,
  });
  const app = await dist.app.createApp(appConfig, { logger: false });
  try {
    const service = app.get(dist.assignment.AssignmentService) as Assigner;
    const users = Array.from({ length: config.users }, (_, i) => `inproc-${i}`);
    // Assign (and store) every user once, in parallel batches, then warm the JIT.
    for (let i = 0; i < users.length; i += 1000) await Promise.all(users.slice(i, i + 1000).map((u) => service.getModelVersionForUser(u, config.modelType)));
    for (let i = 0; i < 200_000; i++) await service.getModelVersionForUser(users[i % users.length]!, config.modelType);

    let started = process.hrtime.bigint();
    for (let i = 0; i < config.calls; i++) await service.getModelVersionForUser(users[i % users.length]!, config.modelType);
    const assignedNs = Number(process.hrtime.bigint() - started);

    started = process.hrtime.bigint();
    const fresh = Array.from({ length: config.newUsers }, (_, i) => `inproc-new-${Date.now()}-${i}`);
    for (let i = 0; i < fresh.length; i += 1000) await Promise.all(fresh.slice(i, i + 1000).map((u) => service.getModelVersionForUser(u, config.modelType)));
    const newNs = Number(process.hrtime.bigint() - started);

    let sink = 0;
    started = process.hrtime.bigint();
    for (let i = 0; i < config.calls; i++) sink += dist.bucketing.hashV2('seed', users[i % users.length]!);
    const hashNs = Number(process.hrtime.bigint() - started);
    if (sink < 0) console.error(sink);

    // Allocations per request over HTTP: the app (the users above are assigned) and a bare Fastify.
    const key = secretKey(config.jwtSecret);
    const tokens = users.slice(0, 2000).map((sub) => signToken(key, { sub, roles: ['user'], ttl: '1h' }));
    const appPort = await freePort();
    await app.listen(appPort, '127.0.0.1');
    const bare = Fastify({ logger: false });
    bare.get('/hello', async () => ({ hello: 'world' }));
    const barePort = await freePort();
    await bare.listen({ port: barePort, host: '127.0.0.1' });
    const load = (origin: string, routePath: string): AssignLoadConfig => ({ origin, path: routePath, tokens, durationS: config.allocationSeconds, connections: 16 });
    const variantBytes = await allocatedPerRequest(config.tmp, 'alloc-variant', load(`http://127.0.0.1:${appPort}`, `/api/v1/ab-tests/user/variant?model_type=${config.modelType}`));
    const meBytes = await allocatedPerRequest(config.tmp, 'alloc-me', load(`http://127.0.0.1:${appPort}`, '/api/v1/auth/me'));
    const bareBytes = await allocatedPerRequest(config.tmp, 'alloc-bare', load(`http://127.0.0.1:${barePort}`, '/hello'));
    await bare.close();

    const result: InProcessResult = {
      assigned_calls_per_s: config.calls / (assignedNs / 1e9),
      assigned_ns_per_call: assignedNs / config.calls,
      new_users_per_s: config.newUsers / (newNs / 1e9),
      hash_calls_per_s: config.calls / (hashNs / 1e9),
      allocated_bytes_per_request: { variant: variantBytes, me: meBytes, bare_fastify: bareBytes },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await app.close();
  }
}

/**
 * Heap bytes allocated per request while a load runs: the used heap's growth between garbage
 * collections, summed (v8.GCProfiler reports the heap before and after each one), divided by the
 * requests answered. A 1 s warm-up run first, not counted.
 */
async function allocatedPerRequest(tmp: string, name: string, load: AssignLoadConfig): Promise<number> {
  await runLoadAsync<AssignLoadResult>(tmp, `${name}-warmup`, 'assign-load.ts', { ...load, durationS: 1 });
  const profiler = new v8.GCProfiler();
  const startUsed = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  const result = await runLoadAsync<AssignLoadResult>(tmp, name, 'assign-load.ts', load);
  const endUsed = v8.getHeapStatistics().used_heap_size;
  const { statistics } = profiler.stop();
  let allocated = 0;
  let previous = startUsed;
  for (const gc of statistics) {
    allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - previous);
    previous = gc.afterGC.heapStatistics.usedHeapSize;
  }
  allocated += Math.max(0, endUsed - previous);
  if (result.non_2xx + result.errors > 0) throw new Error(`${name}: ${result.non_2xx + result.errors} requests failed`);
  return allocated / result.total;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
