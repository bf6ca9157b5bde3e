/**
 * Load generator for bench/metrics.ts, run in its own process pinned to its own core:
 * `taskset -c 1 node --import tsx bench/metrics-load.ts <config.json>`. Sends one request over and
 * over (a POST with a fixed body, or a GET) and prints one JSON line.
 */
import fs from 'node:fs';
import autocannon from 'autocannon';
import { loadMain, summarize, type LoadResult } from './support/load.js';

export interface MetricsLoadConfig {
  url: string;
  method: 'GET' | 'POST';
  token: string;
  /** File holding the JSON body (POST). */
  bodyFile?: string;
  durationS: number;
  connections: number;
}

loadMain(async (config: MetricsLoadConfig): Promise<LoadResult> => {
  const body = config.bodyFile ? fs.readFileSync(config.bodyFile, 'utf8') : undefined;
  const result = await autocannon({
    url: config.url,
    method: config.method,
    connections: config.connections,
    duration: config.durationS,
    headers: { authorization: `Bearer ${config.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body,
  });
  return summarize(result);
});
