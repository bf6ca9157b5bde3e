/**
 * `npm run bench:shadow` — what a shadow test costs the route it shadows. POST /api/v1/safety/check
 * at the same fixed rate (not saturating: a shadow test doubles the inference work, so at
 * saturation throughput must drop; the promise is about the answers users wait for) three times
 * in one run: without any test (the production version serves), with a shadow test of v1.0.0
 * against v2.0.0 at shadow_sample_rate 1 (every request also runs v2 after its response), and
 * without a test again. Target: the shadowed route's p99 within 10% of the same route without a
 * test. The app (dist/) runs on core 0, the load generator on core 1.
 *
 * Options: --duration <s> (10) --rate <requests/s> (150) --connections <n> (8) --users <n> (2000) --no-build
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { secretKey, signToken } from '../src/auth/token-signer.js';
import type { ShadowLoadConfig } from './shadow-load.js';
import { placement } from './support/cpu.js';
import { runLoadAsync, type LoadResult } from './support/load.js';
import { table } from './support/report.js';
import { api, benchLog, build, runMain, startApp, userTokens, withBenchPostgres } from './support/server.js';

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rate: { type: 'string', default: '150' },
    connections: { type: 'string', default: '8' },
    users: { type: 'string', default: '2000' },
    'no-build': { type: 'boolean', default: false },
  },
});
const durationS = Number(options.duration);
const rate = Number(options.rate);
const connections = Number(options.connections);
const log = benchLog('shadow');

async function main(): Promise<void> {
  build(options['no-build'], log);
  await withBenchPostgres(async ({ tmp, databaseUrl }) => {
    const secret = randomBytes(32).toString('hex');
    const app = await startApp({
      databaseUrl,
      jwtSecret: secret,
      dataDir: path.join(tmp, 'data'),
      extra: { SEED_EXAMPLE_MODELS: 'true', RATE_LIMIT_WRITES_PER_MINUTE: '0', RATE_LIMIT_SERVICE_WRITES_PER_MINUTE: '0' },
    });
    try {
      log(`server pid ${app.child.pid} on ${app.url}${placement()}`);
      const key = secretKey(secret);
      const admin = signToken(key, { sub: 'bench-admin', roles: ['admin'], ttl: '2h' });
      const tokens = userTokens(key, Number(options.users));
      const bodies = fs
        .readFileSync('models/datasets/safety_classifier.jsonl', 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.stringify({ text: (JSON.parse(line) as { text: string }).text }));
      const config: ShadowLoadConfig = { url: `${app.url}/api/v1/safety/check`, tokens, bodies, durationS, connections, rate };
      const load = (name: string, overrides: Partial<ShadowLoadConfig> = {}) => runLoadAsync<LoadResult>(tmp, name, 'shadow-load.ts', { ...config, ...overrides });

      log('warm-up without a test');
      await load('warmup', { durationS: 3 });
      log(`without a test: ${rate} requests/s for ${durationS} s`);
      const before = await load('none-1');

      const test = await api(app.url, admin, 'POST', '/ab-tests', {
        name: 'bench: shadow v2',
        model_type: 'safety_classifier',
        variant_a: 'v1.0.0',
        variant_b: 'v2.0.0',
        mode: 'shadow',
        shadow_sample_rate: 1,
      });
      const testId = String(test.test_id);
      await api(app.url, admin, 'POST', `/ab-tests/${testId}/start`);
      log('warm-up with the shadow test (v2 loads)');
      await load('warmup-shadow', { durationS: 3 });
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the warm-up's comparisons run and flush
      const warm = ((await api(app.url, admin, 'GET', `/ab-tests/${testId}/results`)).shadow as { compared: number; dropped: number }) ?? { compared: 0, dropped: 0 };
      log(`with a shadow test at rate 1: ${rate} requests/s for ${durationS} s`);
      const shadow = await load('shadow');
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the last comparisons run and flush
      const section = (await api(app.url, admin, 'GET', `/ab-tests/${testId}/results`)).shadow as { compared: number; dropped: number; latency_ms: { a: { p99: number }; b: { p99: number } } };
      await api(app.url, admin, 'POST', `/ab-tests/${testId}/complete`, { winner: null });

      log(`without a test again: ${rate} requests/s for ${durationS} s`);
      const after = await load('none-2');

      const row = (name: string, r: LoadResult) => [name, r.rps.toFixed(0), `${r.p50_ms} ms`, `${r.p99_ms} ms`, String(r.non_2xx + r.errors)];
      console.log(`\nPOST /api/v1/safety/check at ${rate} requests/s, ${connections} connections, ${durationS} s each, one run`);
      console.log(
        table([
          ['', 'rps', 'p50', 'p99', 'non-2xx'],
          row('no test', before),
          row('shadow test, sample rate 1', shadow),
          row('no test (again)', after),
        ]),
      );
      const baseline = (before.p99_ms + after.p99_ms) / 2;
      const compared = section.compared - warm.compared;
      const dropped = section.dropped - warm.dropped;
      console.log(`\nshadowed p99 ÷ mean p99 without a test: ${(shadow.p99_ms / baseline).toFixed(3)} (target ≤ 1.10)`);
      console.log(`comparisons during the shadow run: ${compared} compared, ${dropped} dropped (queue full) of ${shadow.total} requests`);
      console.log(`inference p99 on the compared requests: a ${section.latency_ms.a.p99.toFixed(3)} ms, b ${section.latency_ms.b.p99.toFixed(3)} ms`);
    } finally {
      await app.stop();
    }
  });
}

runMain(main);
