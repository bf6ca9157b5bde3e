/**
 * `npm run simulate -- --test <id> [--users N] [--minutes M]`: realistic traffic for a running A/B
 * test through the service's real routes, so a newcomer sees metrics, a significant result and a
 * recommendation within a minute or two:
 * - many users send texts: safety checks (a safety_classifier test) or chat messages (an
 *   intent_classifier test), each user assigned and served by the test like real traffic;
 * - most predictions get feedback (POST /predictions/{id}/feedback), right with a configurable
 *   probability per variant (`--accuracy-a`, `--accuracy-b`): that is the test's `accuracy` metric;
 * - the calling service reports what it saw of each reply (POST /ab-tests/{id}/metrics, batched):
 *   end-to-end latency and errors, with b a little faster and more reliable (`--latency-a/-b`,
 *   `--error-rate-a/-b`).
 * Tokens are minted like `npm run token` does (JWT_SECRET or the secret kept in DATA_DIR).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/app-config.js';
import { resolveJwtSecret } from '../src/auth/jwt-secret.js';
import { secretKey, signToken } from '../src/auth/token-signer.js';
import { mulberry32 } from '../src/modules/metrics/stats/mulberry32.js';

const usage = `Usage: npm run simulate -- --test <test id> [--users 200] [--minutes 1] [options]

Options:
  --test <id>            the A/B test (active) to send traffic to
  --users <n>            distinct users (default 200)
  --minutes <m>          how long to run, fractions allowed (default 1)
  --concurrency <n>      requests in flight (default 12)
  --accuracy-a <p>       share of variant a's predictions users mark correct (default 0.75)
  --accuracy-b <p>       same for b (default 0.92)
  --latency-a <ms>       mean latency the caller sees for a (default 150)
  --latency-b <ms>       same for b (default 100)
  --error-rate-a <p>     share of a's replies that fail for the caller (default 0.05)
  --error-rate-b <p>     same for b (default 0.01)
  --url <url>            service URL (default $MODEL_AB_URL or http://127.0.0.1:3000)
  --seed <n>             random seed (default: time)`;

const TEXTS = [
  'I was charged twice this month',
  'how do I reset my password?',
  'can you help me update my billing address',
  'my order has not arrived yet',
  'I want to cancel my subscription',
  'the app keeps crashing when I log in',
  'what are your opening hours?',
  'thanks, that solved it!',
  'my card number is 4111 1111 1111 1111',
  'you are useless and I hate this service',
  'where can I download my invoice',
  'is there a student discount?',
];

class UsageError extends Error {}

function number(values: Record<string, string | undefined>, name: string, fallback: number, check: (n: number) => boolean): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} ${raw} is not valid`);
  return value;
}

interface Counters {
  requests: number;
  feedback: number;
  failures: number;
  events: number;
  byVariant: { a: number; b: number };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: Object.fromEntries(
      ['test', 'users', 'minutes', 'concurrency', 'accuracy-a', 'accuracy-b', 'latency-a', 'latency-b', 'error-rate-a', 'error-rate-b', 'url', 'seed']
        .map((name) => [name, { type: 'string' as const }])
        .concat([['help', { type: 'boolean' as const, short: 'h' } as never]]),
    ),
    strict: true,
  }) as { values: Record<string, string | undefined> & { help?: boolean } };
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (!values.test) throw new UsageError('--test is required');
  const users = number(values, 'users', 200, (n) => Number.isInteger(n) && n >= 1);
  const minutes = number(values, 'minutes', 1, (n) => n > 0 && n <= 120);
  const concurrency = number(values, 'concurrency', 12, (n) => Number.isInteger(n) && n >= 1 && n <= 64);
  const share = (n: number) => n >= 0 && n <= 1;
  const accuracy = { a: number(values, 'accuracy-a', 0.75, share), b: number(values, 'accuracy-b', 0.92, share) };
  const latency = { a: number(values, 'latency-a', 150, (n) => n > 0), b: number(values, 'latency-b', 100, (n) => n > 0) };
  const errorRate = { a: number(values, 'error-rate-a', 0.05, share), b: number(values, 'error-rate-b', 0.01, share) };
  const random = mulberry32(number(values, 'seed', Date.now() % 2 ** 31, Number.isInteger));
  const url = (values.url ?? process.env.MODEL_AB_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const api = `${url}/api/v1`;

  const { secret } = await resolveJwtSecret(loadConfig().jwtSecret, loadConfig().dataDir);
  const key = secretKey(secret);
  const service = signToken(key, { sub: 'simulator', roles: ['service'], ttl: '2h' });
  const userTokens = Array.from({ length: users }, (_, i) => signToken(key, { sub: `sim-user-${i + 1}`, roles: ['user'], ttl: '2h' }));

  const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON
    }
    return { status: response.status, json };
  };

  let test: { status: number; json: Record<string, unknown> };
  try {
    test = await call('GET', `/ab-tests/${encodeURIComponent(values.test)}`, service);
  } catch (error) {
    console.error(`simulate: cannot reach ${url}: ${(error as { cause?: Error }).cause?.message ?? (error as Error).message}`);
    return 1;
  }
  if (test.status !== 200) {
    console.error(`simulate: ${test.status} ${String(test.json.code ?? '')}: ${String(test.json.message ?? 'cannot read the test')}`);
    return 1;
  }
  const modelType = String(test.json.model_type);
  if (test.json.status !== 'active') {
    console.error(`simulate: A/B test ${values.test} is ${String(test.json.status)}; start it first (POST /api/v1/ab-tests/${values.test}/start)`);
    return 1;
  }
  const route = modelType === 'intent_classifier' ? 'messages' : modelType === 'safety_classifier' ? 'safety' : null;
  if (!route) {
    console.error(`simulate: knows how to send traffic to safety_classifier and intent_classifier tests, not to ${modelType}`);
    return 1;
  }

  const counters: Counters = { requests: 0, feedback: 0, failures: 0, events: 0, byVariant: { a: 0, b: 0 } };
  const events: Array<Record<string, unknown>> = [];
  const flush = async (): Promise<void> => {
    while (events.length > 0) {
      const batch = events.splice(0, 1000);
      const answer = await call('POST', `/ab-tests/${values.test}/metrics`, service, { events: batch });
      if (answer.status !== 200) throw new Error(`metrics batch answered ${answer.status} ${String(answer.json.code ?? '')}: ${String(answer.json.message ?? '')}`);
      counters.events += batch.length;
    }
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

  const durationMs = minutes * 60_000;
  const started = Date.now();
  const deadline = started + durationMs;
  const interactive = process.stderr.isTTY === true;
  let lastDecile = -1;
  const draw = (final = false): void => {
    const done = Math.min(1, (Date.now() - started) / durationMs);
    const width = 30;
    const filled = Math.round(done * width);
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    const line =
      `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(done * 100)).padStart(3)}%  ` +
      `${counters.requests} requests (a ${counters.byVariant.a} / b ${counters.byVariant.b}), ${counters.feedback} feedback, ${counters.failures} failed` +
      (final ? '' : `, ${left}s left`);
    if (interactive) process.stderr.write(`\r${line}${final ? '\n' : ''}`);
    else if (final || Math.floor(done * 10) > lastDecile) {
      lastDecile = Math.floor(done * 10);
      process.stderr.write(`${line}\n`);
    }
  };
  const ticker = setInterval(() => draw(), interactive ? 200 : 1000);

  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const user = Math.floor(random() * users);
      const token = userTokens[user]!;
      const text = TEXTS[Math.floor(random() * TEXTS.length)]!;
      const answer =
        route === 'safety' ? await call('POST', '/safety/check', token, { text }) : await call('POST', '/conversations/messages', token, { text });
      counters.requests++;
      if (answer.status >= 400) {
        counters.failures++;
        continue;
      }
      const variant = (route === 'safety' ? answer.json.variant : answer.json.intent_variant) as 'a' | 'b' | null;
      const predictionId = (route === 'safety' ? answer.json.prediction_id : answer.json.intent_prediction_id) as string | null;
      if (variant !== 'a' && variant !== 'b') continue; // not in the test (paused, or the other model)
      counters.byVariant[variant]++;
      const failed = random() < errorRate[variant];
      events.push({ variant, latency_ms: Math.max(5, Math.round((latency[variant] + gaussian() * latency[variant] * 0.25) * 10) / 10), error: failed, user_id: `sim-user-${user + 1}` });
      if (events.length >= 200) await flush();
      if (predictionId && !failed && random() < 0.7) {
        const feedback = await call('POST', `/predictions/${predictionId}/feedback`, token, { correct: random() < accuracy[variant] });
        if (feedback.status === 200) counters.feedback++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    await flush();
  } finally {
    clearInterval(ticker);
    draw(true);
  }

  const results = await call('GET', `/ab-tests/${values.test}/results`, service);
  if (results.status !== 200) {
    console.error(`simulate: results answered ${results.status}: ${String(results.json.message ?? '')}`);
    return 1;
  }
  type Metric = { name: string; a: { n: number; mean: number | null }; b: { n: number; mean: number | null }; sequential_p_value: number | null; significant: boolean };
  const metrics = results.json.metrics as Metric[];
  const format = (value: number | null) => (value === null ? '—' : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(3));
  console.log(`\nresults of A/B test ${values.test} (${modelType}):`);
  console.log(`  ${'metric'.padEnd(18)}${'a'.padStart(10)}${'b'.padStart(10)}${'seq. p'.padStart(10)}  significant`);
  for (const metric of metrics) {
    const p = metric.sequential_p_value === null ? '—' : metric.sequential_p_value < 0.001 ? '<0.001' : metric.sequential_p_value.toFixed(3);
    console.log(`  ${metric.name.padEnd(18)}${format(metric.a.mean).padStart(10)}${format(metric.b.mean).padStart(10)}${p.padStart(10)}  ${metric.significant ? 'yes' : 'no'}`);
  }
  const recommendation = results.json.recommendation as { decision: string; reasons: string[] };
  console.log(`recommendation: ${recommendation.decision}`);
  for (const reason of recommendation.reasons) console.log(`  - ${reason}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`simulate: ${(error as Error).message}${error instanceof UsageError ? `\n\n${usage}` : ''}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
