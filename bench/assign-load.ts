/**
 * Load generator for bench/assign.ts, run in its own process pinned to its own core:
 * `taskset -c 1 node --import tsx bench/assign-load.ts <config.json>`. Either cycles through many
 * user tokens on one path (already-assigned users, or /auth/me), or sends one token with a
 * `user_id` that is new on every request (brand-new users). Prints one JSON line.
 */
import autocannon from 'autocannon';
import { loadMain, summarize, type LoadResult } from './support/load.js';

export interface AssignLoadConfig {
  /** Origin, e.g. http://127.0.0.1:3000 */
  origin: string;
  /** Path (with query) sent as is, with the next token of `tokens`. */
  path: string;
  tokens: string[];
  /** When set, `&user_id=<prefix><n>` with n counting up is appended: every request a new user. */
  newUserPrefix?: string;
  durationS: number;
  connections: number;
}

export interface AssignLoadResult extends LoadResult {
  /** Requests sent (for new users: how many distinct user ids were asked for). */
  sent: number;
}

loadMain(async (config: AssignLoadConfig): Promise<AssignLoadResult> => {
  let next = 0;
  const result = await autocannon({
    url: config.origin,
    method: 'GET',
    connections: config.connections,
    duration: config.durationS,
    requests: [
      {
        setupRequest: (request) => {
          const i = next++;
          request.method = 'GET';
          request.path = config.newUserPrefix === undefined ? config.path : `${config.path}&user_id=${config.newUserPrefix}${i}`;
          request.headers = { ...request.headers, authorization: `Bearer ${config.tokens[i % config.tokens.length]}` };
          return request;
        },
      },
    ],
  });
  return { ...summarize(result), sent: next };
});
