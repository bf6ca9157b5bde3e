import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** One answer of the app, however it was obtained (in-process inject or a real socket). */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The raw body text. */
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  json: unknown;
}

export interface InjectRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is (set content-type yourself). */
  payload?: unknown;
  /** The client address the app sees (the rate limit keys unauthenticated callers by it). */
  remoteAddress?: string;
}

/** Sends a request through Fastify's light-my-request: the whole stack (hooks, guards, pipes, filter) without sockets. */
export async function injectRequest(app: NestFastifyApplication, request: InjectRequest): Promise<Answer> {
  const fastify = app.getHttpAdapter().getInstance();
  const raw = typeof request.payload === 'string' || Buffer.isBuffer(request.payload);
  const headers: Record<string, string> = { ...(request.payload !== undefined && !raw ? { 'content-type': 'application/json' } : {}), ...request.headers };
  const res = await fastify.inject({
    method: request.method as 'GET',
    url: request.url,
    headers,
    ...(request.remoteAddress ? { remoteAddress: request.remoteAddress } : {}),
    ...(request.payload === undefined ? {} : { payload: raw ? (request.payload as string | Buffer) : JSON.stringify(request.payload) }),
  });
  return { status: res.statusCode, headers: res.headers, text: res.body, json: parseJson(res.body) };
}

export function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * What a server must never say to a client: stack frames, source paths, driver and ORM errors, the
 * text of its own SQL. Checked after removing every string the client itself sent (messages may
 * quote a bad value back, and a fuzzed value may well be SQL).
 */
const LEAKS: Array<[string, RegExp]> = [
  ['stack frame', /\bat (?:async )?[\w$.<>[\] ]+ \(?(?:file:\/\/|\/|node:)[^)\s]*:\d+:\d+\)?/],
  ['source path', /(?:\/work\/|\/src\/|\/dist\/|node_modules|\.[cm]?[jt]s:\d+)/],
  ['error class', /\b(?:QueryFailedError|TypeORMError|EntityNotFoundError|EntityMetadataNotFoundError|TypeError|ReferenceError|RangeError|SyntaxError|DatabaseError)\b/],
  [
    'PostgreSQL message',
    /(?:syntax error at or near|violates (?:unique|foreign key|check|not-null|exclusion) constraint|duplicate key value|invalid input (?:syntax|value) for|out of range for type|relation "[^"]*" does not exist|column "[^"]*" (?:does not exist|of relation)|current transaction is aborted|deadlock detected|could not serialize|canceling statement|value too long for type|null value in column)/i,
  ],
  ['SQL text', /\b(?:SELECT\b[\s\S]{0,200}\bFROM|INSERT INTO|UPDATE\s+"?\w+"?\s+SET|DELETE FROM|ON CONFLICT|RETURNING\b|unnest\(|::(?:uuid|text|jsonb|int(?:eger)?|bigint|varchar)\b|\$\d+\b)/i],
  ['table name', /\b(?:ab_test_assignments|ab_test_events|metric_aggregates|metric_rollups|metric_flushes|model_version_stage_changes)\b/],
];

export interface ErrorCheck {
  /** Human-readable problems; empty when the body is a clean error in the one shape. */
  problems: string[];
}

/**
 * The one error shape, `{status_code, error, message, code}` (plus optional `details`), with
 * status_code equal to the HTTP status, served as JSON, and nothing in it that leaks internals.
 */
export function checkErrorAnswer(answer: Answer, sent: readonly string[] = []): ErrorCheck {
  const problems: string[] = [];
  const type = String(answer.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) problems.push(`content-type is "${type}", not application/json`);
  const body = answer.json as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    problems.push(`body is not a JSON object: ${answer.text.slice(0, 200)}`);
    return { problems };
  }
  if (body.status_code !== answer.status) problems.push(`status_code ${String(body.status_code)} ≠ HTTP ${answer.status}`);
  for (const key of ['error', 'message', 'code'] as const) {
    if (typeof body[key] !== 'string' || (body[key] as string).length === 0) problems.push(`"${key}" is not a non-empty string`);
  }
  if (typeof body.code === 'string' && !/^[A-Z][A-Z0-9_]*$/.test(body.code)) problems.push(`code "${body.code}" is not UPPER_SNAKE_CASE`);
  const extra = Object.keys(body).filter((key) => !['status_code', 'error', 'message', 'code', 'details'].includes(key));
  if (extra.length > 0) problems.push(`unexpected keys ${extra.join(', ')}`);
  problems.push(...leaksIn(answer.text, sent));
  return { problems };
}

/** Leak patterns found in `text` once the client's own strings are taken out. */
export function leaksIn(text: string, sent: readonly string[]): string[] {
  let scrubbed = text;
  // Longest first, so a string that contains a shorter one is removed whole. Compare in the JSON
  // encoding too (that is how a quoted value appears inside the body), and encoded twice (a
  // message that quotes the value with JSON.stringify).
  const encode = (s: string) => JSON.stringify(s).slice(1, -1);
  const needles = [...new Set(sent.filter((s) => s.length >= 2).flatMap((s) => [s, encode(s), encode(encode(s))]))].sort((a, b) => b.length - a.length);
  for (const needle of needles) scrubbed = scrubbed.split(needle).join(' ');
  return LEAKS.filter(([, pattern]) => pattern.test(scrubbed)).map(([name, pattern]) => `leaks a ${name}: ${pattern.exec(scrubbed)![0].slice(0, 120)}`);
}

/** Every string in a value (keys included), for `checkErrorAnswer(…, sent)`. */
export function stringsIn(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 200) return out;
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'bigint') out.push(String(value));
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, out, depth + 1);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      stringsIn(item, out, depth + 1);
    }
  }
  return out;
}

/** Counts what a suite saw, for its summary line and docs/reliability.md. */
export class AnswerLedger {
  readonly byStatus = new Map<number, number>();
  errorBodiesChecked = 0;
  readonly failures: string[] = [];

  /** Records the answer; error answers are checked for shape and leaks (failures kept, not thrown). */
  see(what: string, answer: Answer, sent: readonly string[] = []): void {
    this.byStatus.set(answer.status, (this.byStatus.get(answer.status) ?? 0) + 1);
    if (answer.status < 400) return;
    this.errorBodiesChecked++;
    const { problems } = checkErrorAnswer(answer, sent);
    if (problems.length > 0 && this.failures.length < 50) this.failures.push(`${what} → ${answer.status}: ${problems.join('; ')}`);
  }

  get total(): number {
    let n = 0;
    for (const count of this.byStatus.values()) n += count;
    return n;
  }

  summary(): string {
    const statuses = [...this.byStatus.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
    return `${this.total} answers (${statuses.join(', ')}), ${this.errorBodiesChecked} error bodies checked`;
  }
}
