import http from 'node:http';
import pg from 'pg';
import { expect } from 'vitest';
import { parseJson, type Answer } from './responses.js';

/** How one HTTP exchange ended: an answer, or a transport error (reset, refused, timeout). */
export interface Outcome {
  status?: number;
  contentType?: string;
  json?: unknown;
  text?: string;
  /** Transport error code (ECONNRESET, ECONNREFUSED, TIMEOUT, …) when there is no answer. */
  error?: string;
  /** When the request was started and how long it took, in ms (performance.now()). */
  sentAt: number;
  ms: number;
}

export interface CallOptions {
  headers?: Record<string, string>;
  body?: unknown;
  agent?: http.Agent;
  /** Give up (error TIMEOUT) after this long: a hang is a failure of its own. */
  timeoutMs?: number;
}

/** One request over a real socket. Never throws: transport failures are outcomes too. */
export function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Outcome> {
  const handle = open(base, method, path, options);
  handle.finish();
  return handle.done;
}

export interface OpenRequest {
  /** Sends the rest of the body (or all of it, when none was sent yet). */
  finish: () => void;
  done: Promise<Outcome>;
}

/**
 * A request whose body is sent in two parts: `open(…, { half: true })` writes the headers and the
 * first half of the body and waits; `finish()` sends the rest. The server has started the request
 * (it is in flight) before the body is complete, which lets a test hold requests in flight across
 * a signal.
 */
export function open(base: string, method: string, path: string, options: CallOptions & { half?: boolean } = {}): OpenRequest {
  const sentAt = performance.now();
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const url = new URL(path, base);
  let finish: () => void = () => undefined;
  const done = new Promise<Outcome>((resolve) => {
    const settle = (outcome: Omit<Outcome, 'sentAt' | 'ms'>) => resolve({ ...outcome, sentAt, ms: performance.now() - sentAt });
    const request = http.request(
      url,
      {
        method,
        agent: options.agent ?? false,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          settle({ status: response.statusCode, contentType: response.headers['content-type'], text, json: parseJson(text) });
        });
        response.on('error', (error: NodeJS.ErrnoException) => settle({ error: error.code ?? error.message }));
      },
    );
    const timer = setTimeout(() => {
      request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }));
    }, options.timeoutMs ?? 15_000);
    request.on('error', (error: NodeJS.ErrnoException) => settle({ error: error.code ?? error.message }));
    request.on('close', () => clearTimeout(timer));
    if (payload && options.half) {
      const cut = Math.floor(payload.length / 2);
      request.write(payload.subarray(0, cut));
      finish = () => request.end(payload.subarray(cut));
    } else {
      finish = () => request.end(payload);
    }
  });
  return { finish: () => finish(), done };
}

/** An outcome that is an answer, in the shape the answer checks take (see responses.ts). */
export function answerOf(outcome: Outcome): Answer {
  return { status: outcome.status!, headers: { 'content-type': outcome.contentType }, text: outcome.text!, json: outcome.json };
}

/** Creates a 50/50 A/B test of `modelType` (v1.0.0 vs v2.0.0) over HTTP and starts it; returns its id. */
export async function startAbTest(base: string, admin: Record<string, string>, name: string, modelType: string): Promise<string> {
  const res = await call(base, 'POST', '/api/v1/ab-tests', {
    headers: admin,
    body: { name, model_type: modelType, variant_a: 'v1.0.0', variant_b: 'v2.0.0', traffic_split: { a: 0.5, b: 0.5 } },
  });
  expect(res.status, res.text).toBe(201);
  const id = (res.json as { test_id: string }).test_id;
  expect((await call(base, 'POST', `/api/v1/ab-tests/${id}/start`, { headers: admin })).status).toBe(200);
  return id;
}

// ---------------------------------------------------------------- safety checks and their ledger

/** Counts a safety check into `acknowledged` when it was answered 200 by a variant of `testId`. */
export function countAcknowledgedCheck(acknowledged: { a: number; b: number }, outcome: Outcome, testId: string): void {
  const body = outcome.json as { variant?: 'a' | 'b'; ab_test_id?: string } | undefined;
  if (outcome.status === 200 && body?.ab_test_id === testId && body.variant) acknowledged[body.variant]++;
}

// ---------------------------------------------------------------- metric batches and their ledger

export interface MetricEventBody {
  variant: 'a' | 'b';
  latency_ms?: number;
  error?: boolean;
  metric?: string;
  value?: number;
}

/** What a set of metric events adds to the stored aggregates, per variant. */
export interface MetricTotals {
  requests: { a: number; b: number };
  errors: { a: number; b: number };
  latencyCount: { a: number; b: number };
  latencySum: { a: number; b: number };
  customCount: { a: number; b: number };
  customSum: { a: number; b: number };
}

export function zeroTotals(): MetricTotals {
  const z = () => ({ a: 0, b: 0 });
  return { requests: z(), errors: z(), latencyCount: z(), latencySum: z(), customCount: z(), customSum: z() };
}

export function addTotals(into: MetricTotals, add: MetricTotals): MetricTotals {
  for (const key of Object.keys(into) as Array<keyof MetricTotals>) {
    into[key].a += add[key].a;
    into[key].b += add[key].b;
  }
  return into;
}

/**
 * A batch of request outcomes and `accuracy` values with whole-number latencies (so sums compare
 * exactly), and its totals.
 */
export function metricBatch(size: number, seed: number): { events: MetricEventBody[]; totals: MetricTotals } {
  const totals = zeroTotals();
  const events: MetricEventBody[] = [];
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  for (let i = 0; i < size; i++) {
    const variant = next() < 0.5 ? 'a' : 'b';
    if (next() < 0.2) {
      const value = next() < 0.7 ? 1 : 0;
      events.push({ variant, metric: 'accuracy', value });
      totals.customCount[variant]++;
      totals.customSum[variant] += value;
    } else {
      const latency = 1 + Math.floor(next() * 500);
      const error = next() < 0.05;
      events.push({ variant, latency_ms: latency, error });
      totals.requests[variant]++;
      if (error) totals.errors[variant]++;
      totals.latencyCount[variant]++;
      totals.latencySum[variant] += latency;
    }
  }
  return { events, totals };
}

/** The totals stored for a test, from the minute aggregates (or the hour roll-ups). */
export async function storedTotals(client: pg.Client, testId: string, table: 'metric_aggregates' | 'metric_rollups' = 'metric_aggregates'): Promise<MetricTotals> {
  const { rows } = await client.query<{ variant: 'a' | 'b'; metric: string; count: number; errors: number; sum: number }>(
    `SELECT variant, metric, sum(count)::float8 AS count, sum(errors)::float8 AS errors, sum(sum)::float8 AS sum
       FROM ${table} WHERE ab_test_id = $1 ${table === 'metric_rollups' ? `AND grain = 'hour'` : ''} GROUP BY variant, metric`,
    [testId],
  );
  const totals = zeroTotals();
  for (const row of rows) {
    if (row.metric === 'requests') {
      totals.requests[row.variant] = row.count;
      totals.errors[row.variant] = row.errors;
    } else if (row.metric === 'latency_ms') {
      totals.latencyCount[row.variant] = row.count;
      totals.latencySum[row.variant] = row.sum;
    } else if (row.metric === 'custom:accuracy') {
      totals.customCount[row.variant] = row.count;
      totals.customSum[row.variant] = row.sum;
    }
  }
  return totals;
}

/**
 * Whether `stored` is `acknowledged` plus some subset of the batches whose outcome is unknown (a
 * batch is stored whole or not at all), decided exactly for any number of unknown batches: a
 * depth-first search for such a subset, pruned by what the remaining batches can still add. It
 * looks for the stored subset or for its complement, whichever is smaller, so an outage that lost
 * nearly all (or nearly none) of many unknown batches is decided at once. Throws rather than guess
 * if the search grows beyond `budget` steps.
 */
export function explainedBy(stored: MetricTotals, acknowledged: MetricTotals, unknown: readonly MetricTotals[], budget = 5_000_000): boolean {
  const flat = (t: MetricTotals) => (Object.keys(t) as Array<keyof MetricTotals>).flatMap((key) => [t[key].a, t[key].b]);
  const acknowledgedFlat = flat(acknowledged);
  const target = flat(stored).map((value, i) => value - acknowledgedFlat[i]!);
  const options = unknown.map(flat);
  const all = options.reduce((sum, o) => sum.map((v, i) => v + o[i]!), target.map(() => 0));
  const complement = all.map((v, i) => v - target[i]!);
  const size = (v: number[]) => v.reduce((s, x) => s + x, 0);
  return subsetSums(options, size(complement) < size(target) ? complement : target, budget);
}

/** Whether some subset of `options` (non-negative vectors) sums to `target` exactly. */
function subsetSums(options: readonly number[][], target: readonly number[], budget: number): boolean {
  if (target.some((v) => v < 0)) return false;
  const sorted = [...options].sort((x, y) => y.reduce((s, v) => s + v, 0) - x.reduce((s, v) => s + v, 0));
  // What options i.. can still add, per coordinate.
  const rest: number[][] = Array.from({ length: sorted.length + 1 }, () => target.map(() => 0));
  for (let i = sorted.length - 1; i >= 0; i--) rest[i] = rest[i + 1]!.map((v, k) => v + sorted[i]![k]!);
  let steps = 0;
  const search = (i: number, remaining: number[]): boolean => {
    if (++steps > budget) throw new Error(`explainedBy: no answer within ${budget} steps for ${sorted.length} unknown batches`);
    if (remaining.every((v) => v === 0)) return true;
    if (remaining.some((v, k) => v > rest[i]![k]!)) return false;
    const option = sorted[i]!;
    if (option.every((v, k) => v <= remaining[k]!) && search(i + 1, remaining.map((v, k) => v - option[k]!))) return true;
    return search(i + 1, remaining);
  };
  return search(0, [...target]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it is true or `timeoutMs` passes; returns whether it became true. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const started = Date.now();
  for (;;) {
    if (await check()) return true;
    if (Date.now() - started > timeoutMs) return false;
    await sleep(everyMs);
  }
}
