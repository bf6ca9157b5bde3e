/**
 * Load generator for bench/shadow.ts, pinned to its own core: POST /api/v1/safety/check at a fixed
 * overall rate (autocannon `overallRate`), one user token and sentence per request, cycling.
 * Prints one JSON line (LoadResult).
 */
import autocannon from 'autocannon';
import { loadMain, summarize, type LoadResult } from './support/load.js';

export interface ShadowLoadConfig {
  url: string;
  tokens: string[];
  bodies: string[];
  durationS: number;
  connections: number;
  /** Requests per second over all connections. */
  rate: number;
}

loadMain(async (config: ShadowLoadConfig): Promise<LoadResult> => {
  let next = 0;
  const result = await autocannon({
    url: config.url,
    method: 'POST',
    connections: config.connections,
    duration: config.durationS,
    overallRate: config.rate,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          const i = next++;
          request.headers = { ...request.headers, authorization: `Bearer ${config.tokens[i % config.tokens.length]}` };
          request.body = config.bodies[i % config.bodies.length];
          return request;
        },
      },
    ],
  });
  return summarize(result);
});
