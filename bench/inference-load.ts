/**
 * Load generator for bench/inference.ts, run in its own process pinned to its own core:
 * `taskset -c 1 node --import tsx bench/inference-load.ts <config.json>`. Cycles through many user
 * tokens (and request bodies) so every request is a different user, and prints one JSON line.
 */
import fs from 'node:fs';
import autocannon from 'autocannon';

export interface LoadConfig {
  url: string;
  method: 'GET' | 'POST';
  tokens: string[];
  /** JSON bodies, cycled; none for GET. */
  bodies?: string[];
  durationS: number;
  connections: number;
}

export interface LoadResult {
  rps: number;
  total: number;
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  errors: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as LoadConfig;
  let next = 0;
  const result = await autocannon({
    url: config.url,
    method: config.method,
    connections: config.connections,
    duration: config.durationS,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          const i = next++;
          request.headers = { ...request.headers, authorization: `Bearer ${config.tokens[i % config.tokens.length]}` };
          if (config.bodies) request.body = config.bodies[i % config.bodies.length];
          return request;
        },
      },
    ],
  });
  const output: LoadResult = {
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
