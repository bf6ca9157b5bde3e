/// <reference lib="dom" />
// Code passed to page.evaluate runs in the page.
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { ACCOUNT_PASSWORD, API_RESOURCE, DASHBOARD_CLIENT, startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { seriousA11yViolations } from './support/axe.js';
import { chromiumOrSkip } from './support/chromium.js';
import { watchPage, type PageWatch } from './support/page-watch.js';

const browserCheck = chromiumOrSkip();

/**
 * Signing in to the dashboard through a real OpenID provider (oidc-provider with its own login and
 * consent pages) in Chromium. The provider is on 127.0.0.1 and the dashboard on localhost: two
 * different sites, so the provider's redirect back is a cross-site navigation as in production.
 */
describe.skipIf(!browserCheck.path)('dashboard sign-in through the identity provider, in Chromium', () => {
  let idp: TestOidcProvider;
  let t: TestApp;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    // The redirect URI is not configured: the service derives it from the request's origin.
    idp = await startOidcProvider({ interactive: true, dashboardRedirectUri: `${base}/api/v1/auth/oidc/callback` });
    t = await createTestApp({
      OIDC_ISSUER: idp.issuer,
      OIDC_AUDIENCE: 'model-ab-api',
      OIDC_ROLES_CLAIM: 'realm_access.roles',
      OIDC_ROLE_MAP: 'ml-admin=admin,ml-service=service,ml-user=user',
      OIDC_CLIENT_ID: DASHBOARD_CLIENT.id,
      OIDC_CLIENT_SECRET: DASHBOARD_CLIENT.secret,
      OIDC_SCOPES: 'openid api',
      OIDC_AUTHORIZE_PARAMS: `resource=${encodeURIComponent(API_RESOURCE)}`,
      OIDC_PROVIDER_NAME: 'Test SSO',
      SEED_EXAMPLE_MODELS: 'true',
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: browserCheck.path!, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await idp?.close();
  });

  const fresh = async (): Promise<{ page: Page; watch: PageWatch; context: BrowserContext }> => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    return { page, watch: watchPage(page), context };
  };

  /** From the dashboard's sign-in page through the provider's login page to its consent page. */
  const throughLogin = async (page: Page, username: string) => {
    await page.goto(`${base}/`);
    await page.waitForURL(`${base}/login`); // no session → sign-in
    await page.getByRole('link', { name: 'Sign in with Test SSO' }).click();
    await page.getByRole('heading', { name: 'Sign in to Test SSO' }).waitFor();
    expect(page.url().startsWith(`${idp.issuer}/interaction/`)).toBe(true);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(ACCOUNT_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    expect(await page.locator('main').textContent()).toContain(`${DASHBOARD_CLIENT.id} asks for`);
  };

  it('offers the provider on /login (the token form behind “Sign in with a token instead”), accessible', async () => {
    const { page, watch } = await fresh();
    await page.goto(`${base}/login`);
    await page.getByRole('link', { name: 'Sign in with Test SSO' }).waitFor();
    expect(await page.getByRole('link', { name: 'Sign in with Test SSO' }).getAttribute('href')).toBe('/api/v1/auth/oidc/login');
    expect(await page.getByLabel('Token').isVisible()).toBe(false);
    if (process.env.CI !== 'true') await page.screenshot({ path: path.resolve('docs/images/dashboard-sign-in.png'), clip: { x: 340, y: 30, width: 680, height: 210 } });
    await page.getByText('Sign in with a token instead').click();
    expect(await page.getByLabel('Token').isVisible()).toBe(true);
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(watch.problems).toEqual([]);
  });

  it('an admin signs in through the provider’s login and consent pages and lands on the dashboard with the roles the API maps', async () => {
    const { page, watch, context } = await fresh();
    await throughLogin(page, 'root');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${base}/`);
    await page.getByRole('heading', { name: 'A/B tests' }).waitFor();
    expect(await page.locator('.who span').textContent()).toBe('root (admin)');
    expect(await page.getByRole('link', { name: 'New test' }).count()).toBeGreaterThan(0); // admins may create tests

    const cookies = await context.cookies(base);
    expect(cookies.map((cookie) => cookie.name)).toEqual(['model_ab_session']); // the login cookie is gone
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    // The session is the provider's token, and the API maps its roles exactly as for a bearer token.
    const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
    expect(me).toMatchObject({ sub: 'root', roles: ['admin'], claims: { iss: idp.issuer, aud: 'model-ab-api', realm_access: { roles: ['ml-admin'] } } });

    // Signed-in pages work as with a token: the models page, and a write (CSRF check passes from the page).
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('heading', { name: 'safety_classifier' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/login`);
    expect(await context.cookies(base)).toEqual([]);
    expect(watch.problems).toEqual([]);
  });

  it('a provider user whose role maps to user gets the “not allowed” page', async () => {
    const { page, watch } = await fresh();
    await throughLogin(page, 'alice');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('user tokens cannot see A/B tests');
    expect(watch.problems).toEqual([]);
  });

  it('declining at the provider ends on a clear page (401 OIDC_SIGN_IN_REFUSED) with a way back', async () => {
    const { page, watch, context } = await fresh();
    await throughLogin(page, 'root');
    watch.expectError(401, 'GET', /^\/api\/v1\/auth\/oidc\/callback$/);
    const answer = page.waitForResponse((response) => response.url().startsWith(`${base}/api/v1/auth/oidc/callback`));
    await page.getByRole('button', { name: 'Deny' }).click();
    expect((await answer).status()).toBe(401);
    await page.getByRole('heading', { name: 'Sign-in failed' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('The identity provider did not sign you in: access_denied (The person declined to sign in)');
    expect(await page.locator('main').textContent()).toContain('OIDC_SIGN_IN_REFUSED');
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect((await context.cookies(base)).map((cookie) => cookie.name)).toEqual([]);
    await page.getByRole('link', { name: 'Back to sign-in' }).click();
    await page.getByRole('link', { name: 'Sign in with Test SSO' }).waitFor();
    expect(watch.problems).toEqual([]);
  });
});
