/**
 * `npm run bench:inference` — POST /api/v1/safety/check through the whole path (JWT auth, A/B
 * assignment, ONNX inference, metric recording, prediction insert) next to GET /api/v1/auth/me
 * (JWT auth only) in the same run, with the same tokens, connections and duration; plus where the
 * server time of a check goes.
 *
 * - The compiled app (`dist/`, as `npm start` runs it) serves on core 0 (`taskset -c 0`), on an
 *   embedded PostgreSQL in a temporary folder; the load generator (autocannon) runs in another
 *   process on core 1 (PostgreSQL is not pinned: it runs wherever the kernel puts it). A 50/50 A/B test on safety_classifier (v1.0.0 vs v2.0.0) is running, and
 *   every request comes from a different user token, cycling through --users.
 * - Breakdown: the app adds up the wall time of each phase of every classification (PhaseTimings
 *   in the predictions module: assignment, model_load, inference, metrics, prediction_store).
 *   The server runs through bench/inference-server.ts, which serves the compiled app and answers
 *   "sample" on stdin with those totals and its CPU time; the bench samples before and after the
 *   timed run, so the figures cover exactly the timed requests.
 *
 * Options: --duration <s> (10) --connections <n> (32) --users <n> (2000) --no-build --profile <dir>
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { secretKey, signToken } from '../src/auth/token-signer.js';
import type { LoadConfig } from './inference-load.js';
import { placement } from './support/cpu.js';
import { runLoadAsync, type LoadResult } from './support/load.js';
import { table } from './support/report.js';
import { api, appEnv, benchLog, build, freePort, runMain, spawnPinned, startSafetyTest, userTokens, withBenchPostgres, type BenchProcess } from './support/server.js';

const PHASES = ['assignment', 'model_load', 'inference', 'metrics', 'prediction_store'] as const;
type Phase = (typeof PHASES)[number];

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    users: { type: 'string', default: '2000' },
    'no-build': { type: 'boolean', default: false },
    /** Write a V8 CPU profile of the server into this folder (open it in Chrome DevTools). */
    profile: { type: 'string' },
  },
});
const durationS = Number(options.duration);
const connections = Number(options.connections);
const userCount = Number(options.users);

const log = benchLog('inference');

/** Runs the load generator in its own process (asynchronously: the server's pipes keep draining meanwhile). */
const runLoad = (tmp: string, name: string, config: LoadConfig): Promise<LoadResult> => runLoadAsync<LoadResult>(tmp, name, 'inference-load.ts', config);

interface Sample {
  phases: Array<{ modelType: string; count: number; totalMs: Record<Phase, number> }>;
  cpu_ms: number;
}

/** The server process and its control channel (see bench/inference-server.ts). */
class BenchServer implements BenchProcess {
  private readonly waiting: Array<(message: Record<string, unknown>) => void> = [];
  private output = '';
  readonly child: BenchProcess['child'];
  readonly exited: Promise<void>;
  readonly stop: () => Promise<void>;

  constructor({ child, exited, stop }: BenchProcess) {
    this.child = child;
    this.exited = exited;
    this.stop = stop;
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.startsWith('{')) this.waiting.shift()?.(JSON.parse(line) as Record<string, unknown>);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
  }

  next(timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the server:\n${this.output}`)), timeoutMs);
      void this.exited.then(() => reject(new Error(`the server exited:\n${this.output}`)));
      this.waiting.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  async sample(): Promise<Sample> {
    const answer = this.next();
    this.child.stdin!.write('sample\n');
    return (await answer) as unknown as Sample;
  }
}

interface Measured {
  result: LoadResult;
  served: number;
  phaseMs: Record<Phase, number>;
  inServiceMs: number;
  cpuPerRequestMs: number;
}

/** Runs a load and reads the server's counters around it: per-phase mean wall time and CPU per check. */
async function measure(server: BenchServer, load: () => Promise<LoadResult>): Promise<Measured> {
  const before = await server.sample();
  const result = await load();
  const after = await server.sample();
  const safety = (sample: Sample) => sample.phases.find((p) => p.modelType === 'safety_classifier')!;
  const served = safety(after).count - safety(before).count;
  const phaseMs = Object.fromEntries(PHASES.map((p) => [p, (safety(after).totalMs[p] - safety(before).totalMs[p]) / served])) as Record<Phase, number>;
  const inServiceMs = PHASES.reduce((sum, p) => sum + phaseMs[p], 0);
  return { result, served, phaseMs, inServiceMs, cpuPerRequestMs: (after.cpu_ms - before.cpu_ms) / served };
}

function texts(): string[] {
  const lines = fs.readFileSync('models/datasets/safety_classifier.jsonl', 'utf8').trim().split('\n');
  return lines.map((line) => (JSON.parse(line) as { text: string }).text);
}

const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;

async function main(): Promise<void> {
  build(options['no-build'], log);
  await withBenchPostgres(async ({ tmp, databaseUrl }) => {
    const secret = randomBytes(32).toString('hex');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const profileArgs = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.profile)}`] : [];
    const server = new BenchServer(
      spawnPinned(
        [...profileArgs, '--import', 'tsx', path.join('bench', 'inference-server.ts')],
        appEnv({ port, databaseUrl, jwtSecret: secret, dataDir: path.join(tmp, 'data'), extra: { SEED_EXAMPLE_MODELS: 'true', RATE_LIMIT_WRITES_PER_MINUTE: '0', RATE_LIMIT_SERVICE_WRITES_PER_MINUTE: '0' } }),
        ['pipe', 'pipe', 'pipe'],
      ),
    );
    try {
      await server.next();
      log(`server pid ${server.child.pid} on ${url}${placement()}`);

      const key = secretKey(secret);
      const admin = signToken(key, { sub: 'bench-admin', roles: ['admin'], ttl: '2h' });
      const testId = await startSafetyTest(url, admin);

      const tokens = userTokens(key, userCount);
      const bodies = texts().map((text) => JSON.stringify({ text }));
      const check: LoadConfig = { url: `${url}/api/v1/safety/check`, method: 'POST', tokens, bodies, durationS, connections };
      const me: LoadConfig = { url: `${url}/api/v1/auth/me`, method: 'GET', tokens, durationS, connections };

      log(`warm-up: every one of ${userCount} users gets assigned, JIT and model caches warm`);
      await runLoad(tmp, 'warmup-check', { ...check, durationS: Math.max(3, Math.ceil(durationS / 3)) });
      await runLoad(tmp, 'warmup-me', { ...me, durationS: 2 });

      log(`GET /api/v1/auth/me for ${durationS} s, ${connections} connections`);
      const meBefore = await server.sample();
      const meResult = await runLoad(tmp, 'me', me);
      const meAfter = await server.sample();
      const meCpuMs = (meAfter.cpu_ms - meBefore.cpu_ms) / meResult.total;

      log(`POST /api/v1/safety/check for ${durationS} s, ${connections} connections`);
      const loaded = await measure(server, () => runLoad(tmp, 'check', check));
      const checkResult = loaded.result;

      log('POST /api/v1/safety/check, one connection (uncontended: phase times are their cost, not queueing)');
      const single = await measure(server, () => runLoad(tmp, 'check-single', { ...check, connections: 1, durationS: Math.max(3, Math.ceil(durationS / 2)) }));

      const assignments = (await api(url, admin, 'GET', `/ab-tests/${testId}`)).assignments as Record<string, number>;

      const rows = [
        ['', 'rps', 'p50', 'p99', 'server CPU / request', 'non-2xx'],
        ['GET /api/v1/auth/me', meResult.rps.toFixed(0), `${meResult.p50_ms} ms`, `${meResult.p99_ms} ms`, us(meCpuMs), String(meResult.non_2xx + meResult.errors)],
        [
          'POST /api/v1/safety/check',
          checkResult.rps.toFixed(0),
          `${checkResult.p50_ms} ms`,
          `${checkResult.p99_ms} ms`,
          us(loaded.cpuPerRequestMs),
          String(checkResult.non_2xx + checkResult.errors),
        ],
      ];
      console.log(`\n${connections} connections, ${durationS} s each, ${userCount} distinct user tokens, 50/50 test running`);
      console.log(table(rows));
      console.log(`\nsafety/check ÷ auth/me throughput: ${(checkResult.rps / meResult.rps).toFixed(2)}`);
      console.log(`assignments: a ${assignments.variant_a}, b ${assignments.variant_b} (${userCount} users)`);
      console.log(`\nserver time per check, mean wall time of each phase inside the service:`);
      console.log(`| phase | ${connections} connections (${loaded.served} checks) | 1 connection (${single.served} checks) |`);
      console.log(`|---|---|---|`);
      for (const phase of PHASES) console.log(`| ${phase} | ${us(loaded.phaseMs[phase])} | ${us(single.phaseMs[phase])} |`);
      console.log(`| all phases | ${us(loaded.inServiceMs)} | ${us(single.inServiceMs)} |`);
      console.log(`| server CPU per request (HTTP, JWT, validation, service, JSON, pg client) | ${us(loaded.cpuPerRequestMs)} | ${us(single.cpuPerRequestMs)} |`);
      for (const [name, m] of [
        [`${connections} connections`, loaded],
        ['1 connection', single],
      ] as const) {
        const overheadMs = m.phaseMs.assignment + m.phaseMs.metrics;
        console.log(
          `\n${name}: assignment + metric recording = ${us(overheadMs)} = ${((overheadMs / m.cpuPerRequestMs) * 100).toFixed(2)}% of the server CPU per request, ` +
            `${((overheadMs / m.inServiceMs) * 100).toFixed(2)}% of the in-service wall time (target < 20%)`,
        );
        if (overheadMs / m.cpuPerRequestMs >= 0.2) process.exitCode = 1;
      }
      if (checkResult.non_2xx + checkResult.errors > 0 || meResult.non_2xx + meResult.errors > 0) {
        console.log('\nWARNING: some requests failed; the numbers above are not clean');
        process.exitCode = 1;
      }
    } finally {
      await server.stop();
    }
  });
}

runMain(main);
