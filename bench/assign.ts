/**
 * `npm run bench:assign` — the assignment hot path against its ceiling, a bare Fastify hello on the
 * same core, in the same run.
 *
 * - HTTP: three servers on core 0 — a bare Fastify 5 hello (bench/fastify-hello.ts), and the
 *   compiled app (`dist/`, as `npm start` runs it) over an embedded PostgreSQL pinned to core 0
 *   too — loaded by autocannon in another process on core 1. Alternating twice: GET /hello,
 *   GET /api/v1/auth/me (JWT only), GET /api/v1/ab-tests/user/variant for already-assigned users
 *   (one token per user, cycled); then brand-new users (a service token asking for a new user_id on
 *   every request, each stored before the answer). A 50/50 test on safety_classifier runs.
 *   Each route's throughput is compared with bare Fastify's two ways: requests per second, and
 *   requests per CPU-second of the server (its Node process plus its PostgreSQL processes, from
 *   /proc) — the second is the target, because it holds when autocannon saturates first or other
 *   work on the machine takes part of core 0.
 * - In-process: AssignmentService.getModelVersionForUser for already-assigned users, in a process
 *   of its own on one core (after the server has stopped), plus brand-new users and the bare hash.
 *
 * Targets (per CPU-second, ÷ bare Fastify): assigned users ≥ 0.5, brand-new users ≥ 0.25;
 * in-process ≥ 1,000,000 calls/s.
 * Options: --duration <s> (10) --connections <n> (32) --users <n> (5000) --calls <n> (5000000) --no-build
 * --new-only (bare Fastify and brand-new users only, no targets checked: for iterating on the write path)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { secretKey, signToken } from '../src/auth/token-signer.js';
import type { AssignLoadConfig, AssignLoadResult } from './assign-load.js';
import type { InProcessConfig, InProcessResult } from './assign-inprocess.js';
import { cores, placement } from './support/cpu.js';
import { runLoad as runLoadScript, runScript } from './support/load.js';
import { fmt, table } from './support/report.js';
import { api, benchLog, build, freePort, runMain, spawnPinned, startApp, startSafetyTest, userTokens, withBenchPostgres, type BenchProcess } from './support/server.js';

const MODEL_TYPE = 'safety_classifier';
const VARIANT_PATH = `/api/v1/ab-tests/user/variant?model_type=${MODEL_TYPE}`;

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    users: { type: 'string', default: '5000' },
    calls: { type: 'string', default: '5000000' },
    'no-build': { type: 'boolean', default: false },
    /** Only bare Fastify and brand-new users (2 alternating rounds each): for iterating on the write path. */
    'new-only': { type: 'boolean', default: false },
  },
});
const newOnly = options['new-only'];
const durationS = Number(options.duration);
const connections = Number(options.connections);
const userCount = Number(options.users);
const calls = Number(options.calls);

const log = benchLog('assign');

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime of a process, in milliseconds (0 when it is gone). */
function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** The embedded PostgreSQL's postmaster and its children (backends, checkpointer, WAL writer …). */
function postgresPids(clusterDir: string): number[] {
  const postmaster = Number(fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

/** Moves PostgreSQL onto the server's core: its backends, forked later, inherit the postmaster's affinity. */
function pinPostgres(clusterDir: string): void {
  if (cores < 2) return;
  for (const pid of postgresPids(clusterDir)) execFileSync('taskset', ['-a', '-c', '-p', '0', String(pid)], { stdio: 'ignore' });
}

interface Measured extends AssignLoadResult {
  /** Server CPU use during the run, in cores (1.0 = one core busy all the time): Node plus PostgreSQL. */
  server_cpu: number;
  /** Of which the Node process. */
  node_cpu: number;
}

/** Runs a load and measures the CPU time of `pids()` (read before and after) per wall-clock time. */
function runLoad(tmp: string, name: string, config: AssignLoadConfig, pids: () => number[]): Measured {
  const total = () => pids().reduce((sum, pid) => sum + cpuMs(pid), 0);
  const nodePid = pids()[0]!;
  const nodeBefore = cpuMs(nodePid);
  const cpuBefore = new Map(pids().map((pid) => [pid, cpuMs(pid)]));
  const started = Date.now();
  const result = runLoadScript<AssignLoadResult>(tmp, name, 'assign-load.ts', config);
  const wallMs = Date.now() - started;
  // A process that started during the run (a new backend) counts from zero.
  const used = total() - [...cpuBefore.entries()].reduce((sum, [pid, ms]) => sum + (cpuMs(pid) > 0 ? ms : 0), 0);
  return { ...result, server_cpu: used / wallMs, node_cpu: (cpuMs(nodePid) - nodeBefore) / wallMs };
}

/** The in-process half, on core 0 (the server's, free by then). */
function runInProcess(tmp: string, config: InProcessConfig): InProcessResult {
  return runScript<InProcessResult>(0, tmp, 'inprocess', 'assign-inprocess.ts', config);
}

function mean(results: Measured[]): Measured {
  const avg = (pick: (r: Measured) => number) => results.reduce((sum, r) => sum + pick(r), 0) / results.length;
  return {
    rps: avg((r) => r.rps),
    total: results.reduce((sum, r) => sum + r.total, 0),
    p50_ms: avg((r) => r.p50_ms),
    p99_ms: Math.max(...results.map((r) => r.p99_ms)),
    non_2xx: results.reduce((sum, r) => sum + r.non_2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    sent: results.reduce((sum, r) => sum + r.sent, 0),
    server_cpu: avg((r) => r.server_cpu),
    node_cpu: avg((r) => r.node_cpu),
  };
}

/** Requests per CPU-second of the server: robust to a load generator or neighbour that keeps the server below 100%. */
const perCpuSecond = (r: Measured): number => r.rps / r.server_cpu;

/** Starts bench/fastify-hello.ts on core 0 and waits for "ready". */
async function startHello(): Promise<BenchProcess & { url: string }> {
  const port = await freePort();
  const server = spawnPinned(['--import', 'tsx', 'bench/fastify-hello.ts', String(port)], { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }, ['ignore', 'pipe', 'inherit']);
  await new Promise<void>((resolve, reject) => {
    server.child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    server.child.once('exit', () => reject(new Error('the bare Fastify server exited')));
  });
  return { ...server, url: `http://127.0.0.1:${port}` };
}

/**
 * Brand-new users: a service token asking for a new user_id on every request (each stored before
 * the answer). Counts, over all its runs, the users stored, the tuples written and the commits.
 */
function newUserRunner(tmp: string, databaseUrl: string, config: AssignLoadConfig, pids: () => number[]) {
  const prefix = `new-${Date.now()}-`;
  const client = new pg.Client({ connectionString: databaseUrl });
  const connected = client.connect();
  let tuples = 0;
  let commits = 0;
  // pg_stat_database is updated at most every 500 ms: wait that long before reading it. (Its
  // commits include the app's few background transactions and these reads: a slight overcount.)
  const counters = async () => {
    await new Promise((resolve) => setTimeout(resolve, 600));
    const { rows } = await client.query(`SELECT tup_inserted + tup_updated AS tuples, xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()`);
    const row = rows[0] as { tuples: string; commits: string };
    return { tuples: Number(row.tuples), commits: Number(row.commits) };
  };
  return {
    async run(name: string, durationS: number): Promise<Measured> {
      await connected;
      const before = await counters();
      const result = runLoad(tmp, name, { ...config, newUserPrefix: `${prefix}${name}-`, durationS }, pids);
      const after = await counters();
      if (!name.startsWith('warmup')) {
        tuples += after.tuples - before.tuples;
        commits += after.commits - before.commits;
      }
      return result;
    },
    async finish(): Promise<{ stored: number; tuples: number; commits: number }> {
      const { rows } = await client.query(`SELECT count(*)::int AS stored FROM ab_test_assignments WHERE user_id LIKE $1 AND user_id NOT LIKE $2`, [`${prefix}%`, `${prefix}warmup%`]);
      await client.end();
      return { stored: (rows[0] as { stored: number }).stored, tuples, commits };
    },
  };
}

async function main(): Promise<void> {
  build(options['no-build'], log);
  await withBenchPostgres(async ({ tmp, databaseUrl }) => {
    const clusterDir = path.join(tmp, 'postgres');
    pinPostgres(clusterDir);
    const secret = randomBytes(32).toString('hex');
    const dataDir = path.join(tmp, 'data');
    const hello = await startHello();
    const server = await startApp({ databaseUrl, jwtSecret: secret, dataDir, extra: { SEED_EXAMPLE_MODELS: 'true', RATE_LIMIT_WRITES_PER_MINUTE: '0', RATE_LIMIT_SERVICE_WRITES_PER_MINUTE: '0' } });
    try {
      const url = server.url;
      const serverPid = server.child.pid!;
      const appPids = () => [serverPid, ...postgresPids(clusterDir)];
      const helloPids = () => [hello.child.pid!];
      log(`server pid ${serverPid} on ${url}, bare Fastify pid ${hello.child.pid} on ${hello.url}${placement()}; PostgreSQL on core 0 too`);

      const key = secretKey(secret);
      const admin = signToken(key, { sub: 'bench-admin', roles: ['admin'], ttl: '2h' });
      const service = signToken(key, { sub: 'bench-service', roles: ['service'], ttl: '2h' });
      const testId = await startSafetyTest(url, admin);

      const tokens = userTokens(key, userCount);
      const variant: AssignLoadConfig = { origin: url, path: VARIANT_PATH, tokens, durationS, connections };
      const me: AssignLoadConfig = { origin: url, path: '/api/v1/auth/me', tokens, durationS, connections };
      // The same Authorization headers, so requests are the same size.
      const bare: AssignLoadConfig = { origin: hello.url, path: '/hello', tokens, durationS, connections };

      const newUsers = newUserRunner(tmp, databaseUrl, { ...variant, tokens: [service] }, appPids);
      if (!newOnly) {
        log(`assigning (and storing) all ${userCount} users over HTTP`);
        let nextUser = 0;
        await Promise.all(
          Array.from({ length: 32 }, async () => {
            while (nextUser < tokens.length) {
              const token = tokens[nextUser++]!;
              const response = await fetch(`${url}${VARIANT_PATH}`, { headers: { authorization: `Bearer ${token}` } });
              if (!response.ok) throw new Error(`assigning a user failed: ${response.status} ${await response.text()}`);
            }
          }),
        );
        const assigned = (await api(url, admin, 'GET', `/ab-tests/${testId}`)).assignments as Record<string, number>;
        if (assigned.total !== userCount) throw new Error(`${assigned.total} of ${userCount} users are assigned`);
      }
      log(`warm-up (JIT): 3 s of each route`);
      runLoad(tmp, 'warmup-hello', { ...bare, durationS: 3 }, helloPids);
      if (!newOnly) {
        runLoad(tmp, 'warmup-variant', { ...variant, durationS: 3 }, appPids);
        runLoad(tmp, 'warmup-me', { ...me, durationS: 3 }, appPids);
      }
      await newUsers.run('warmup-new', 3);

      const bareRuns: Measured[] = [];
      const meRuns: Measured[] = [];
      const variantRuns: Measured[] = [];
      const newRuns: Measured[] = [];
      for (let round = 1; round <= 2; round++) {
        log(`round ${round}: bare Fastify GET /hello, ${newOnly ? '' : 'GET /auth/me, GET /ab-tests/user/variant (assigned users), '}brand-new users, ${durationS} s each, ${connections} connections`);
        bareRuns.push(runLoad(tmp, `hello-${round}`, bare, helloPids));
        if (!newOnly) {
          meRuns.push(runLoad(tmp, `me-${round}`, me, appPids));
          variantRuns.push(runLoad(tmp, `variant-${round}`, variant, appPids));
        }
        newRuns.push(await newUsers.run(`new-${round}`, durationS));
      }
      const bareResult = mean(bareRuns);
      const meResult = newOnly ? undefined : mean(meRuns);
      const variantResult = newOnly ? undefined : mean(variantRuns);
      const fresh = mean(newRuns);
      const { stored, tuples, commits } = await newUsers.finish();
      await server.stop();
      await hello.stop();
      const inProcess = newOnly ? undefined : (log(`in-process: ${fmt(calls)} calls of getModelVersionForUser for assigned users, on one core`), runInProcess(tmp, { databaseUrl, jwtSecret: secret, dataDir, modelType: MODEL_TYPE, users: 10_000, calls, newUsers: 50_000, tmp, allocationSeconds: 5 }));

      const ceiling = perCpuSecond(bareResult);
      const assignedRatio = variantResult ? perCpuSecond(variantResult) / ceiling : undefined;
      const newRatio = perCpuSecond(fresh) / ceiling;
      const measuredRows: Array<[string, Measured | undefined, string]> = [
        ['bare Fastify 5, GET /hello', bareResult, '—'],
        ['GET /api/v1/auth/me (JWT only)', meResult, '—'],
        ['GET /ab-tests/user/variant, assigned users', variantResult, '≥ 0.50'],
        ['GET /ab-tests/user/variant, brand-new users (stored)', fresh, '≥ 0.25'],
      ];
      const rows = [
        ['', 'rps', 'p50', 'p99', 'server CPU (of which Node)', 'requests per CPU-second', '÷ bare Fastify, per CPU-second', '÷ bare Fastify, rps', 'target (per CPU-second)', 'non-2xx'],
        ['---', '---', '---', '---', '---', '---', '---', '---', '---', '---'],
        ...measuredRows.flatMap(([name, r, target]) =>
          r
            ? [
                [
                  name,
                  fmt(r.rps),
                  `${r.p50_ms.toFixed(1)} ms`,
                  `${r.p99_ms.toFixed(1)} ms`,
                  `${(r.server_cpu * 100).toFixed(0)}% (${(r.node_cpu * 100).toFixed(0)}%)`,
                  fmt(perCpuSecond(r)),
                  (perCpuSecond(r) / ceiling).toFixed(2),
                  (r.rps / bareResult.rps).toFixed(2),
                  target,
                  String(r.non_2xx + r.errors),
                ],
              ]
            : [],
        ),
      ];
      const answered = fresh.total - fresh.non_2xx;
      console.log(`\nHTTP (${connections} connections, ${durationS} s per run; every route: mean of 2 alternating runs, p99 the worse; server CPU = Node + PostgreSQL, all on core 0)`);
      console.log(table(rows));
      console.log(`\n| check | measured | target |`);
      console.log(`|---|---|---|`);
      if (assignedRatio !== undefined) console.log(`| assigned users ÷ bare Fastify, per CPU-second | ${assignedRatio.toFixed(2)} | ≥ 0.50 |`);
      console.log(`| brand-new users ÷ bare Fastify, per CPU-second | ${newRatio.toFixed(2)} | ≥ 0.25 |`);
      console.log(`| new users stored / answered 2xx | ${fmt(stored)} / ${fmt(answered)} | every answer stored |`);
      console.log(`| PostgreSQL tuples written per new user (inserts + updates) | ${(tuples / Math.max(1, stored)).toFixed(2)} | — |`);
      console.log(`| new users per commit (group commit) | ${(stored / Math.max(1, commits)).toFixed(1)} | — |`);
      if (inProcess) {
        console.log(`\nin-process, one core`);
        console.log(`| | per second | per call |`);
        console.log(`|---|---|---|`);
        console.log(`| getModelVersionForUser, assigned users | ${fmt(inProcess.assigned_calls_per_s)} | ${inProcess.assigned_ns_per_call.toFixed(0)} ns |`);
        console.log(`| getModelVersionForUser, brand-new users (stored) | ${fmt(inProcess.new_users_per_s)} | ${(1e9 / inProcess.new_users_per_s / 1000).toFixed(1)} µs |`);
        console.log(`| hashV2 alone | ${fmt(inProcess.hash_calls_per_s)} | ${(1e9 / inProcess.hash_calls_per_s).toFixed(0)} ns |`);
        const bytes = inProcess.allocated_bytes_per_request;
        console.log(`\nV8 heap bytes allocated per request (in-process app listening, 16 connections from core 1, 5 s per route; v8.GCProfiler)`);
        console.log(`| route | bytes per request |`);
        console.log(`|---|---|`);
        console.log(`| bare Fastify 5, GET /hello | ${fmt(bytes.bare_fastify)} |`);
        console.log(`| GET /api/v1/auth/me | ${fmt(bytes.me)} |`);
        console.log(`| GET /ab-tests/user/variant, assigned users | ${fmt(bytes.variant)} |`);
      }
      const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
      if (inProcess && assignedRatio !== undefined) {
        console.log(
          `\nin-process target ≥ 1,000,000 calls/s: ${verdict(inProcess.assigned_calls_per_s >= 1e6)}; assigned ≥ 0.5× bare Fastify: ${verdict(assignedRatio >= 0.5)}; new users ≥ 0.25×: ${verdict(newRatio >= 0.25)}`,
        );
      } else {
        console.log(`\n--new-only: new users ≥ 0.25×: ${verdict(newRatio >= 0.25)} (the other targets were not measured)`);
      }
      console.log(`load average during the run: ${os.loadavg().map((n) => n.toFixed(1)).join(' ')} on ${cores} cores (other work on the machine lowers rps; the per-CPU-second ratios hold)`);
      const failed = [bareResult, meResult, variantResult, fresh].reduce((sum, r) => sum + (r ? r.non_2xx + r.errors : 0), 0);
      if (failed > 0) console.log(`\nWARNING: ${failed} requests failed; the numbers above are not clean`);
      const missed = newRatio < 0.25 || (assignedRatio !== undefined && assignedRatio < 0.5) || (inProcess !== undefined && inProcess.assigned_calls_per_s < 1e6);
      if (failed > 0 || missed || stored < answered) process.exitCode = 1;
    } finally {
      await server.stop();
      await hello.stop();
    }
  });
}

runMain(main);
