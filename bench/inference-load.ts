/**
 * Load generator for bench/inference.ts, run in its own process pinned to its own core:
 * `taskset -c 1 node --import tsx bench/inference-load.ts <config.json>`. Cycles through many user
 * tokens (and request bodies) so every request is a different user, and prints one JSON line.
 */
import autocannon from 'autocannon';
import { loadMain, summarize, type LoadResult } from './support/load.js';

export interface LoadConfig {
  url: string;
  method: 'GET' | 'POST';
  tokens: string[];
  /** JSON bodies, cycled; none for GET. */
  bodies?: string[];
  durationS: number;
  connections: number;
}

loadMain(async (config: LoadConfig): Promise<LoadResult> => {
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
  return summarize(result);
});
