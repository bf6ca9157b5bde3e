/**
 * Load generator for bench/metrics.ts, run in its own process pinned to its own core:
 * `taskset -c 1 node --import tsx bench/metrics-load.ts <config.json>`. Sends one request over and
 * over (a POST with a fixed body, or a GET) and prints one JSON line.
 */
import fs from 'node:fs';
import autocannon from 'autocannon';

export interface MetricsLoadConfig {
  url: string;
  method: 'GET' | 'POST';
  token: string;
  /** File holding the JSON body (POST). */
  bodyFile?: string;
  durationS: number;
  connections: number;
}

export interface MetricsLoadResult {
  rps: number;
  total: number;
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  errors: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as MetricsLoadConfig;
  const body = config.bodyFile ? fs.readFileSync(config.bodyFile, 'utf8') : undefined;
  const result = await autocannon({
    url: config.url,
    method: config.method,
    connections: config.connections,
    duration: config.durationS,
    headers: { authorization: `Bearer ${config.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body,
  });
  const output: MetricsLoadResult = {
    rps: result.requests.average,
    total: result.requests.total,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non_2xx: result.non2xx,
    errors: result.errors,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
