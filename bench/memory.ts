/**
 * `npm run bench:memory` — RSS growth per cached user: 1,000,000 brand-new users assigned (and
 * stored in an embedded PostgreSQL) through AssignmentService.getModelVersionForUser in one process
 * (bench/memory-inprocess.ts, the compiled app, pinned to core 0), RSS compared after full garbage
 * collections before and after. Every one of them must still be served from the assignment cache
 * afterwards (no INSERT when 10,000 of them are asked again).
 *
 * Target: ≤ 64 bytes of RSS per cached user; 1,000,000 users in < 100 MB.
 * Options: --users <n> (1000000) --cache-mb <n> (64, the default ASSIGNMENT_CACHE_MB) --no-build
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { secretKey, signToken } from '../src/auth/token-signer.js';
import type { MemoryConfig, MemoryResult } from './memory-inprocess.js';
import { runScript } from './support/load.js';
import { fmt } from './support/report.js';
import { benchLog, build, runMain, startApp, startSafetyTest, withBenchPostgres } from './support/server.js';

const { values: options } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    'cache-mb': { type: 'string', default: '64' },
    'no-build': { type: 'boolean', default: false },
  },
});
const users = Number(options.users);
const cacheMb = Number(options['cache-mb']);
const log = benchLog('memory');

async function main(): Promise<void> {
  build(options['no-build'], log);
  await withBenchPostgres(async ({ tmp, databaseUrl }) => {
    const secret = randomBytes(32).toString('hex');
    const dataDir = path.join(tmp, 'data');
    // The HTTP app registers the example models and starts the test, then stops.
    const server = await startApp({ databaseUrl, jwtSecret: secret, dataDir, extra: { SEED_EXAMPLE_MODELS: 'true' } });
    try {
      await startSafetyTest(server.url, signToken(secretKey(secret), { sub: 'bench-admin', roles: ['admin'], ttl: '1h' }));
    } finally {
      await server.stop();
    }
    log(`assigning ${fmt(users)} brand-new users in-process (core 0), ASSIGNMENT_CACHE_MB=${cacheMb}`);
    const config: MemoryConfig = { databaseUrl, jwtSecret: secret, dataDir, modelType: 'safety_classifier', users, cacheMb };
    const r = runScript<MemoryResult>(0, tmp, 'memory', 'memory-inprocess.ts', config);
    const totalMb = (r.rss_growth_bytes_per_user * r.users) / 2 ** 20;
    console.log(`\nRSS growth for ${fmt(r.users)} cached users (ASSIGNMENT_CACHE_MB=${cacheMb}; assigned and stored in ${r.seconds.toFixed(0)} s)`);
    console.log('| measure | measured | target |');
    console.log('|---|---|---|');
    console.log(`| RSS growth per cached user | ${r.rss_growth_bytes_per_user.toFixed(1)} bytes | ≤ 64 bytes |`);
    console.log(`| RSS growth for ${fmt(r.users)} users | ${totalMb.toFixed(1)} MB (${r.rss_before_mb.toFixed(0)} → ${r.rss_after_mb.toFixed(0)} MB) | < 100 MB |`);
    console.log(`| V8 heap growth per cached user | ${r.heap_growth_bytes_per_user.toFixed(1)} bytes | — |`);
    // RSS also moves with what the heap and malloc give back meanwhile; the table's pages are the cache's own cost.
    console.log(`| the cache's touched table (one generation) per cached user | ${(r.cache_bytes / 2 / r.users).toFixed(1)} bytes | ≤ 64 bytes |`);
    console.log(`| users in the cache / its tables | ${fmt(r.cached_entries)} / ${(r.cache_bytes / 2 ** 20).toFixed(1)} MB | — |`);
    console.log(`| INSERTs when 10,000 of them are asked again | ${r.statements_for_cached_reads} | 0 (served from the cache) |`);
    const met = r.rss_growth_bytes_per_user <= 64 && r.cache_bytes / 2 / r.users <= 64 && totalMb < 100 && r.statements_for_cached_reads === 0;
    console.log(`\ntarget ≤ 64 bytes per cached user: ${met ? 'met' : 'NOT met'}`);
    if (!met) process.exitCode = 1;
  });
}

runMain(main);
