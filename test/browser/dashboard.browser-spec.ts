/// <reference lib="dom" />
// Code passed to page.evaluate runs in the page.
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, pValue } from '../../web/src/format.js';
import { MetricsIngestionService } from '../../src/modules/metrics/metrics-ingestion.service.js';
import { parseMetricBatch, type MetricEvent } from '../../src/modules/metrics/metric-events.js';
import { bearer, registerModelType, startAbTest } from '../support/ab-test-factory.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { seriousA11yViolations } from './support/axe.js';
import { chromiumOrSkip } from './support/chromium.js';
import { watchPage, type PageWatch } from './support/page-watch.js';

const browserCheck = chromiumOrSkip();
if (browserCheck.skipReason) console.log(browserCheck.skipReason);

const FIRST_LOAD_JS_BUDGET = 300 * 1024;
const FIGURES_BUDGET_MS = 1000;
const SCREENSHOTS = path.resolve('docs/images');

interface ResultsBody {
  status: string;
  metrics: Array<{ name: string; a: { n: number }; b: { n: number }; p_value: number | null; sequential_p_value: number | null }>;
  recommendation: { decision: string };
}

/**
 * The dashboard in a real Chromium against the real service (the app `npm start` builds, on its own
 * database in the embedded PostgreSQL test cluster), signed in the way people sign in.
 */
describe.skipIf(!browserCheck.path)('dashboard in Chromium', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let testId = '';

  const api = async (method: string, route: string, token: string, body?: unknown) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { ...bearer(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route} → ${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : null;
  };
  const results = async (id: string) => (await api('GET', `/api/v1/ab-tests/${id}/results`, t.tokens.service)) as ResultsBody;

  /** A signed-in page: through the link `npm start` prints (`/login#token=…`). */
  const signedIn = async (token: string): Promise<{ page: Page; watch: PageWatch; context: BrowserContext }> => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(`${base}/login#token=${token}`);
    await page.waitForURL(`${base}/`);
    return { page, watch, context };
  };

  /** Requests per variant in /results once the buffered recorder has flushed everything (two equal reads). */
  const settledResults = async (id: string): Promise<ResultsBody> => {
    let last = JSON.stringify((await results(id)).metrics.map((metric) => [metric.a.n, metric.b.n]));
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const current = await results(id);
      const shape = JSON.stringify(current.metrics.map((metric) => [metric.a.n, metric.b.n]));
      if (shape === last) return current;
      last = shape;
    }
  };

  /** Real traffic: safety checks for distinct users (assignment, inference, latency), plus accuracy feedback. */
  const traffic = async (id: string, users: number, offset: number) => {
    const checks = Array.from({ length: users }, (_, i) => i + offset);
    for (let i = 0; i < checks.length; i += 8) {
      await Promise.all(checks.slice(i, i + 8).map((n) => api('POST', '/api/v1/safety/check', t.tokens.service, { text: `Could you help me with order ${n}?`, user_id: `shopper-${n}` })));
    }
    const events = checks.map((n) => ({ variant: n % 2 === 0 ? 'a' : 'b', metric: 'accuracy', value: n % 5 === 0 ? 0 : 1 }));
    await api('POST', `/api/v1/ab-tests/${id}/metrics`, t.tokens.service, { events });
  };

  beforeAll(async () => {
    await build({ configFile: path.resolve('web/vite.config.ts'), logLevel: 'error' });
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true', METRICS_FLUSH_MS: '100', RATE_LIMIT_WRITES_PER_MINUTE: '0' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: browserCheck.path!, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  it('serves pages with a CSP without unsafe-inline and never cached; hashed assets cached for a year, gzipped', async () => {
    for (const page of ['/', '/login', '/models', '/ab-tests/new', '/ab-tests/3f0c9a52-6a1e-4c8e-9d57-2b1f0e4a7c11']) {
      const response = await fetch(`${base}${page}`);
      expect(response.status, page).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
    }
    const html = await (await fetch(`${base}/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      expect(asset).toMatch(/-[\w-]{8}\.(js|css)$/);
      const response = await fetch(`${base}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-encoding')).toBe('gzip');
    }
    // The API keeps its own headers (Swagger UI needs its inline script).
    expect((await fetch(`${base}/health`)).headers.get('content-security-policy')).toContain("'unsafe-inline'");
  });

  it(`first-load JavaScript is at most ${FIRST_LOAD_JS_BUDGET / 1024} KB gzipped (measured in the browser)`, async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.getByRole('heading', { name: 'Sign in to model-ab' }).waitFor();
    const scripts = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((entry): entry is PerformanceResourceTiming => entry instanceof PerformanceResourceTiming && entry.initiatorType === 'script')
        .map((entry) => ({ url: entry.name, encoded: entry.encodedBodySize, decoded: entry.decodedBodySize })),
    );
    const encoded = scripts.reduce((sum, entry) => sum + entry.encoded, 0);
    const decoded = scripts.reduce((sum, entry) => sum + entry.decoded, 0);
    console.log(`[browser] first-load JavaScript: ${scripts.length} file(s), ${(encoded / 1024).toFixed(1)} KB gzipped (${(decoded / 1024).toFixed(1)} KB uncompressed)`);
    expect(scripts.length).toBeGreaterThan(0);
    expect(encoded).toBeLessThan(decoded); // it did travel compressed
    expect(encoded).toBeLessThanOrEqual(FIRST_LOAD_JS_BUDGET);
  });

  it('the printed sign-in link signs in: HttpOnly SameSite=Strict cookie, fragment gone from the address bar', async () => {
    const { page, watch, context } = await signedIn(t.tokens.admin);
    expect(await page.evaluate(() => location.hash)).toBe('');
    await page.getByRole('heading', { name: 'A/B tests' }).waitFor();
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'model_ab_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate(() => document.cookie)).toBe(''); // scripts cannot read it
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(watch.problems).toEqual([]);
  });

  it('a pasted token signs in too; a bad one is refused in words', async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(`${base}/ab-tests/new`);
    await page.waitForURL(`${base}/login`); // no session → sign-in
    expect(await seriousA11yViolations(page)).toEqual([]);
    watch.expectError(401, 'POST', /^\/api\/v1\/auth\/session$/);
    await page.getByLabel('Token').fill(t.tokens.signedWithOtherKey());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The bearer token is not valid');
    await page.getByLabel('Token').fill(t.tokens.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'A/B tests' }).waitFor();
    expect(watch.problems).toEqual([]);
  });

  it('creates a test through the form: archived versions not offered, the API’s validation messages beside the fields', async () => {
    const withArchived = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }, { version: 'v0.9.0', stage: 'archived' }], 'dash');
    const { page, watch } = await signedIn(t.tokens.admin);
    await page.getByRole('link', { name: 'New test' }).first().click();
    await page.getByRole('heading', { name: 'New A/B test' }).waitFor();

    await page.getByLabel('Model type').selectOption(withArchived);
    const options = page.getByLabel('Variant b (treatment) version').locator('option');
    await expect.poll(() => options.count()).toBe(3);
    expect(await options.allTextContents()).toEqual(['choose…', 'v2.0.0 (none)', 'v1.0.0 (production)']);

    await page.getByLabel('Name').fill('Safety classifier v2 from the dashboard');
    await page.getByLabel('Model type').selectOption('safety_classifier');
    await expect.poll(() => page.getByLabel('Variant a (control) version').locator('option').count()).toBe(3);
    await page.getByLabel('Variant a (control) version').selectOption('v1.0.0');
    await page.getByLabel('Variant b (treatment) version').selectOption('v2.0.0');
    await page.getByLabel('Minimum relative improvement (0.05 = 5%)').fill('-1');
    await page.getByRole('button', { name: 'Add a metric' }).click();
    await page.getByLabel('Metric 1 name').fill('Accuracy');
    expect(await seriousA11yViolations(page)).toEqual([]);

    watch.expectError(400, 'POST', /^\/api\/v1\/ab-tests$/);
    await page.getByRole('button', { name: 'Create test' }).click();
    const improvementField = page.locator('.field', { has: page.getByLabel('Minimum relative improvement (0.05 = 5%)') });
    await expect.poll(() => improvementField.locator('.field-error').textContent()).toMatch(/min_improvement must not be less than 0/);
    await expect.poll(() => page.locator('.field', { has: page.getByLabel('Metric 1 name') }).locator('.field-error').textContent()).toMatch(/name/);

    await page.getByLabel('Minimum relative improvement (0.05 = 5%)').fill('');
    await page.getByLabel('Minimum requests per variant').fill('20');
    await page.getByLabel('Metric 1 name').fill('accuracy');
    await page.getByRole('button', { name: 'Create test' }).click();
    await page.waitForURL(/\/ab-tests\/[0-9a-f-]{36}$/);
    testId = page.url().split('/').pop()!;
    await page.getByRole('heading', { name: 'Safety classifier v2 from the dashboard' }).waitFor();
    const stored = (await api('GET', `/api/v1/ab-tests/${testId}`, t.tokens.admin)) as { status: string; metric_definitions: unknown; criteria: unknown; created_by: string };
    expect(stored).toMatchObject({ status: 'draft', metric_definitions: [{ name: 'accuracy', higher_is_better: true }], criteria: { min_requests: 20 }, created_by: 'admin-1' });
    expect(watch.problems).toEqual([]);
  });

  it('starts it; the page shows the numbers of /results and follows new traffic live, without reloading', async () => {
    const { page, watch } = await signedIn(t.tokens.admin);
    await page.goto(`${base}/ab-tests/${testId}`); // a deep link, loaded from the server
    await page.getByRole('button', { name: 'Start test' }).click();
    await expect.poll(() => page.locator('.title-row .badge').first().textContent()).toBe('active');

    await traffic(testId, 48, 0);
    let expected = await settledResults(testId);
    const requestsOf = (body: ResultsBody, variant: 'a' | 'b') => body.metrics.find((metric) => metric.name === 'error_rate')![variant].n;
    expect(requestsOf(expected, 'a') + requestsOf(expected, 'b')).toBe(48);
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same document'));

    await expect.poll(() => page.getByTestId('requests-a').textContent(), { timeout: 10_000 }).toBe(count(requestsOf(expected, 'a')));
    expect(await page.getByTestId('requests-b').textContent()).toBe(count(requestsOf(expected, 'b')));
    for (const metric of expected.metrics) {
      const row = page.locator(`tr[data-metric="${metric.name}"]`);
      const cells = await row.locator('td').allTextContents();
      expect(cells[5], `${metric.name} p-value`).toBe(pValue(metric.p_value));
      expect(cells[6], `${metric.name} always-valid p-value`).toBe(pValue(metric.sequential_p_value));
    }
    expect(await page.locator('tr[data-metric="custom:accuracy"]').count()).toBe(1);
    expect(await page.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(5);
    expect(await seriousA11yViolations(page)).toEqual([]);

    await traffic(testId, 30, 1000);
    expected = await settledResults(testId);
    expect(requestsOf(expected, 'a') + requestsOf(expected, 'b')).toBe(78);
    await expect.poll(() => page.getByTestId('requests-a').textContent(), { timeout: 10_000 }).toBe(count(requestsOf(expected, 'a')));
    await expect.poll(() => page.getByTestId('requests-b').textContent(), { timeout: 10_000 }).toBe(count(requestsOf(expected, 'b')));
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same document');

    await page.reload(); // deep links work on reload
    await page.getByRole('heading', { name: 'Safety classifier v2 from the dashboard' }).waitFor();
    expect(watch.problems).toEqual([]);
  });

  it('ramps, pauses, resumes and completes with promote through the UI; the models page shows the new production version', async () => {
    const { page, watch } = await signedIn(t.tokens.admin);
    await page.goto(`${base}/ab-tests/${testId}`);

    await page.getByRole('button', { name: 'Change traffic split…' }).click();
    const ramp = page.getByRole('dialog', { name: 'Change the traffic split' });
    await expect.poll(() => ramp.textContent()).toContain('users already assigned keep their variant');
    await ramp.getByLabel('Share of new users sent to b (%)').fill('30');
    await ramp.getByRole('button', { name: 'Apply split' }).click();
    await expect.poll(() => page.getByTestId('split-b').textContent()).toBe('30.0%');
    expect(await page.getByTestId('split-a').textContent()).toBe('70.0%');

    await page.getByRole('button', { name: 'Pause test' }).click();
    await expect.poll(() => page.locator('.title-row .badge').first().textContent()).toBe('paused');
    await page.getByRole('button', { name: 'Resume test' }).click();
    await expect.poll(() => page.locator('.title-row .badge').first().textContent()).toBe('active');

    await page.getByRole('button', { name: 'Complete test…' }).click();
    const complete = page.getByRole('dialog', { name: 'Complete the test' });
    await complete.getByLabel('b (v2.0.0)').check();
    await complete.getByLabel('Promote the winner to production').check();
    await complete.getByLabel('Notes').fill('b is as good and faster');
    await expect.poll(() => complete.getByRole('status').textContent()).toBe('safety_classifier v2.0.0 will become the production version (the current production version is archived).');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await complete.getByRole('button', { name: 'Complete and promote v2.0.0' }).click();
    await expect.poll(() => page.locator('.title-row .badge').first().textContent()).toBe('completed');
    await expect.poll(() => page.getByRole('button', { name: 'Start test' }).count()).toBe(0);
    const timeline = await page.locator('.timeline li').allTextContents();
    expect(timeline.map((line) => line.replace(/^.*UTC /, '').split(' by ')[0])).toEqual(['created', 'started', 'traffic split changed', 'paused', 'resumed', 'completed']);
    expect(timeline[2]).toMatch(/traffic split changed by admin-1: a 50\.0% \/ b 50\.0% → a 70\.0% \/ b 30\.0%$/);
    expect(timeline[5]).toMatch(/completed by admin-1: winner b, v2\.0\.0 promoted to production$/);

    await page.getByRole('link', { name: 'Models' }).click();
    await expect.poll(() => page.getByTestId('production-safety_classifier').textContent()).toBe('v2.0.0');
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(watch.problems).toEqual([]);
  });

  it('a service token reads everything and sees no action buttons', async () => {
    const { page, watch } = await signedIn(t.tokens.service);
    await page.getByRole('heading', { name: 'A/B tests' }).waitFor();
    expect(await page.getByRole('link', { name: 'New test' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Safety classifier v2 from the dashboard' }).click();
    await page.getByRole('heading', { name: 'Per variant' }).waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('heading', { name: 'safety_classifier' }).waitFor();
    expect(await page.getByRole('button').allTextContents()).toEqual(['Sign out']);
    expect(watch.problems).toEqual([]);
  });

  it('a user token gets a clear “not allowed” page; signing out clears the session', async () => {
    const { page, watch, context } = await signedIn(t.tokens.user('ursula'));
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('user tokens cannot see A/B tests');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Sign out and use another token' }).click();
    await page.waitForURL(`${base}/login`);
    expect(await context.cookies()).toEqual([]);
    expect(watch.problems).toEqual([]);
  });

  it('the page of a test with 1,000,000 recorded events shows its figures within 1 s of navigation', async () => {
    const modelType = await registerModelType(t, [{ version: 'v1.0.0', stage: 'production' }, { version: 'v2.0.0' }], 'load');
    const id = await startAbTest(t, { model_type: modelType, name: 'Ranking model v2 (1,000,000 events)', metrics: [{ name: 'accuracy', higher_is_better: true }], criteria: { min_requests: 100000, max_error_rate: 0.05 } });
    const ingestion = t.app.get(MetricsIngestionService);
    const now = Date.now();
    const spanMs = 3 * 3600_000;
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const batches: MetricEvent[][] = [];
    for (let batch = 0; batch < 100; batch++) {
      const events: MetricEvent[] = [];
      for (let i = 0; i < 10_000; i++) {
        const variant = random() < 0.5 ? 'a' : 'b';
        const timestamp = new Date(now - spanMs + Math.floor(((batch * 10_000 + i) / 1_000_000) * spanMs)).toISOString();
        events.push(
          i % 4 === 3
            ? { variant, metric: 'accuracy', value: random() < (variant === 'a' ? 0.8 : 0.82) ? 1 : 0, timestamp }
            : { variant, latency_ms: 60 + random() * (variant === 'a' ? 90 : 80), error: random() < 0.004, timestamp },
        );
      }
      batches.push(events);
    }
    const started = Date.now();
    for (let i = 0; i < batches.length; i += 8) await Promise.all(batches.slice(i, i + 8).map((events) => ingestion.ingest(id, parseMetricBatch({ events }))));
    console.log(`[browser] recorded 1,000,000 metric events in ${Date.now() - started} ms`);
    // Assignments that do not match the 50/50 split: the page must warn about the sample ratio.
    await t.dataSource.query(
      `INSERT INTO ab_test_assignments (ab_test_id, user_id, variant, split_version)
       SELECT $1, 'u' || g, (CASE WHEN g % 5 < 3 THEN 'a' ELSE 'b' END)::ab_test_variant, 1 FROM generate_series(1, 5000) g`,
      [id],
    );
    const body = await results(id);
    expect(body.metrics.find((metric) => metric.name === 'error_rate')!.a.n + body.metrics.find((metric) => metric.name === 'error_rate')!.b.n).toBe(750_000);

    const { page, watch } = await signedIn(t.tokens.admin);
    const timings: number[] = [];
    for (let run = 0; run < 3; run++) {
      await page.goto(`${base}/ab-tests/${id}`);
      const figuresAt = await page.waitForFunction(
        () => document.querySelectorAll('[data-testid="statistics"] tbody tr').length >= 3 && document.querySelectorAll('figure.chart canvas').length >= 5 && performance.now(),
        undefined,
        { polling: 'raf', timeout: 15_000 },
      );
      timings.push(Number(await figuresAt.jsonValue()));
    }
    const median = [...timings].sort((x, y) => x - y)[1]!;
    console.log(`[browser] 1,000,000-event test page: figures rendered ${timings.map((ms) => `${ms.toFixed(0)} ms`).join(', ')} after navigation (first load, then two reloads; median ${median.toFixed(0)} ms)`);
    expect(median).toBeLessThan(FIGURES_BUDGET_MS);
    expect(await page.getByRole('alert').filter({ hasText: 'Sample-ratio mismatch' }).count()).toBe(1);
    expect(await page.getByTestId('requests-a').textContent()).toBe(count(body.metrics.find((metric) => metric.name === 'error_rate')!.a.n));

    if (process.env.CI !== 'true') {
      await fs.mkdir(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-test-page.png'), fullPage: true });
      await page.getByRole('link', { name: 'Tests', exact: true }).click();
      await page.getByRole('link', { name: 'Ranking model v2 (1,000,000 events)' }).waitFor();
      await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-tests.png'), clip: { x: 0, y: 0, width: 1360, height: 360 } });
    }
    expect(watch.problems).toEqual([]);
  });
});
