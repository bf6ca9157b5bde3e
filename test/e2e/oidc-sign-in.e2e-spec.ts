import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOGIN_COOKIE } from '../../src/auth/oidc-login-transaction.js';
import { SESSION_COOKIE } from '../../src/auth/session-cookie.js';
import { freePort } from '../support/free-port.js';
import { API_RESOURCE, DASHBOARD_CLIENT, followProviderRedirects, startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// Requests reach the app in-process; the redirect URI only has to be the one registered at the provider.
const REDIRECT_URI = 'http://127.0.0.1:9/api/v1/auth/oidc/callback';

const signInEnv = (issuer: string): Record<string, string> => ({
  OIDC_ISSUER: issuer,
  OIDC_AUDIENCE: 'model-ab-api',
  OIDC_ROLES_CLAIM: 'realm_access.roles',
  OIDC_ROLE_MAP: 'ml-admin=admin,ml-service=service,ml-user=user',
  OIDC_CLIENT_ID: DASHBOARD_CLIENT.id,
  OIDC_CLIENT_SECRET: DASHBOARD_CLIENT.secret,
  OIDC_REDIRECT_URI: REDIRECT_URI,
  OIDC_SCOPES: 'openid api',
  // The test provider signs in whoever login_hint names (its interactive pages are in the browser test).
  OIDC_AUTHORIZE_PARAMS: `resource=${encodeURIComponent(API_RESOURCE)}&login_hint=root`,
  OIDC_PROVIDER_NAME: 'Test SSO',
  LOG_LEVEL: 'info',
});

/** Where a page of the sign-in routes goes on to (its link a#continue; the meta refresh says the same). */
const onwardOf = (html: string): string => {
  const href = /<a id="continue" href="([^"]+)">/.exec(html)?.[1];
  expect(href, html).toBeDefined();
  const url = href!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  expect(html).toContain(`<meta http-equiv="refresh" content="0; url=${href}">`);
  return url;
};
const setCookies = (headers: Record<string, unknown>): string[] => ([] as string[]).concat((headers['set-cookie'] as string[] | string | undefined) ?? []);
const cookieNamed = (headers: Record<string, unknown>, name: string): string | undefined => setCookies(headers).find((line) => line.startsWith(`${name}=`));

/**
 * The dashboard's sign-in through a real OpenID provider (oidc-provider, in-process): authorization
 * code + PKCE, the code redeemed by the service as a confidential client, the token verified like
 * any bearer token, and every way the callback can be wrong.
 */
describe('dashboard sign-in through the identity provider (authorization code + PKCE)', () => {
  let idp: TestOidcProvider;
  let t: TestApp;
  const logLines: string[] = [];

  beforeAll(async () => {
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.startsWith('{')) {
        logLines.push(text);
        return true;
      }
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    });
    idp = await startOidcProvider({ dashboardRedirectUri: REDIRECT_URI });
    t = await createTestApp(signInEnv(idp.issuer));
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await t?.close();
    await idp?.close();
  });

  /** GET /auth/oidc/login: where it sends the browser, and the login cookie it sets. */
  const startSignIn = async () => {
    const res = await t.http().get('/api/v1/auth/oidc/login').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const cookie = cookieNamed(res.headers, LOGIN_COOKIE);
    expect(cookie).toBeDefined();
    return { authorize: new URL(onwardOf(res.text)), setCookie: cookie!, cookie: cookie!.split(';')[0]! };
  };
  /** The provider's answer to the sign-in: the callback URL with code and state. */
  const atProvider = (authorize: URL) => followProviderRedirects(authorize.href, idp.issuer, REDIRECT_URI);
  const callback = (url: URL, cookie?: string, accept = 'application/json') => {
    const request = t.http().get(`${url.pathname}${url.search}`).set('accept', accept);
    return cookie ? request.set('cookie', cookie) : request;
  };
  const logged = (code: string) => logLines.filter((line) => line.includes('dashboard sign-in failed') && line.includes(code));

  it('the session says which provider to sign in with', async () => {
    const res = await t.http().get('/api/v1/auth/session').expect(200);
    expect(res.body).toEqual({ signed_in: false, sub: null, roles: [], provider: 'Test SSO', provider_sign_in_url: '/api/v1/auth/oidc/login' });
  });

  it('signs in: on to the provider with state and an S256 challenge, code redeemed, token verified, session cookie set, on to the dashboard', async () => {
    const { authorize, setCookie, cookie } = await startSignIn();
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${idp.issuer}/auth`); // from discovery
    const params = Object.fromEntries(authorize.searchParams);
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: DASHBOARD_CLIENT.id,
      redirect_uri: REDIRECT_URI,
      scope: 'openid api',
      code_challenge_method: 'S256',
      resource: API_RESOURCE,
      login_hint: 'root',
    });
    expect(params.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.state).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(setCookie).toMatch(new RegExp(`^${LOGIN_COOKIE}=[A-Za-z0-9_-]+; Path=/api/v1/auth/oidc; Max-Age=600; HttpOnly; SameSite=Lax$`));
    // The cookie holds the verifier encrypted: neither it nor the state can be read from it.
    expect(cookie).not.toContain(params.state);

    const answer = await atProvider(authorize);
    expect(answer.searchParams.get('state')).toBe(params.state);
    const done = await callback(answer, cookie, 'text/html').expect(200);
    expect(onwardOf(done.text)).toBe('/');
    expect(done.text).toContain('<h1>Signed in as root</h1>');
    expect(done.headers['content-security-policy']).toContain("script-src 'self'");
    const session = cookieNamed(done.headers, SESSION_COOKIE)!;
    expect(session).toMatch(new RegExp(`^${SESSION_COOKIE}=[\\w-]+\\.[\\w-]+\\.[\\w-]+; Path=/; Max-Age=(29\\d|300); HttpOnly; SameSite=Strict$`));
    expect(cookieNamed(done.headers, LOGIN_COOKIE)).toBe(`${LOGIN_COOKIE}=; Path=/api/v1/auth/oidc; Max-Age=0; HttpOnly; SameSite=Lax`);

    // The session is the provider's access token, with the roles the API maps from it.
    const me = await t.http().get('/api/v1/auth/me').set('cookie', session.split(';')[0]!).expect(200);
    expect(me.body).toMatchObject({ sub: 'root', roles: ['admin'], claims: { iss: idp.issuer, aud: 'model-ab-api' } });
    const status = await t.http().get('/api/v1/auth/session').set('cookie', session.split(';')[0]!).expect(200);
    expect(status.body).toMatchObject({ signed_in: true, sub: 'root', roles: ['admin'] });
    expect(logLines.some((line) => line.includes('dashboard sign-in through the identity provider: root (admin)'))).toBe(true);
  });

  it('state mismatch: 400 OIDC_STATE_MISMATCH, no session; the browser’s own sign-in stays usable', async () => {
    const { authorize, cookie } = await startSignIn();
    const answer = await atProvider(authorize);
    for (const state of ['not-the-state', '']) {
      const forged = new URL(answer);
      forged.searchParams.set('state', state);
      const res = await callback(forged, cookie).expect(400);
      expect(res.body).toMatchObject({ status_code: 400, code: 'OIDC_STATE_MISMATCH', message: expect.stringContaining('state mismatch') });
      expect(cookieNamed(res.headers, SESSION_COOKIE)).toBeUndefined();
      expect(cookieNamed(res.headers, LOGIN_COOKIE)).toBeUndefined(); // not cleared
    }
    const withoutState = new URL(answer);
    withoutState.searchParams.delete('state');
    expect((await callback(withoutState, cookie).expect(400)).body.code).toBe('OIDC_STATE_MISMATCH');
    expect(logged('OIDC_STATE_MISMATCH')).toHaveLength(3);
    // The real answer still signs in.
    const done = await callback(answer, cookie).expect(200);
    expect(cookieNamed(done.headers, SESSION_COOKIE)).toBeDefined();
  });

  it('missing verifier (no login cookie, or one changed or sealed elsewhere): 400 OIDC_SIGN_IN_EXPIRED, code not redeemed', async () => {
    const { authorize, cookie } = await startSignIn();
    const answer = await atProvider(authorize);
    const value = cookie.slice(LOGIN_COOKIE.length + 1);
    const flipped = `${LOGIN_COOKIE}=${value.slice(0, 20)}${value[20] === 'A' ? 'B' : 'A'}${value.slice(21)}`;
    for (const bad of [undefined, flipped, `${LOGIN_COOKIE}=${'x'.repeat(80)}`]) {
      const res = await callback(answer, bad).expect(400);
      expect(res.body).toMatchObject({ status_code: 400, code: 'OIDC_SIGN_IN_EXPIRED', message: expect.stringContaining('No sign-in is in progress in this browser') });
      expect(cookieNamed(res.headers, SESSION_COOKIE)).toBeUndefined();
    }
    expect(logged('OIDC_SIGN_IN_EXPIRED')).toHaveLength(3);
    // The code was never sent to the provider: the real cookie still redeems it.
    expect(cookieNamed((await callback(answer, cookie).expect(200)).headers, SESSION_COOKIE)).toBeDefined();
  });

  it('replayed code: refused by the provider (400 OIDC_CODE_REJECTED) even with the original login cookie; without it 400 OIDC_SIGN_IN_EXPIRED', async () => {
    const { authorize, cookie } = await startSignIn();
    const answer = await atProvider(authorize);
    const first = await callback(answer, cookie).expect(200);
    expect(cookieNamed(first.headers, SESSION_COOKIE)).toBeDefined();

    // The browser after a sign-in: its login cookie is gone.
    expect((await callback(answer).expect(400)).body.code).toBe('OIDC_SIGN_IN_EXPIRED');
    // Someone who kept both the callback URL and the login cookie: the provider will not redeem a code twice.
    const replay = await callback(answer, cookie).expect(400);
    expect(replay.body).toMatchObject({ status_code: 400, code: 'OIDC_CODE_REJECTED', details: { error: 'invalid_grant' } });
    expect(cookieNamed(replay.headers, SESSION_COOKIE)).toBeUndefined();
    expect(cookieNamed(replay.headers, LOGIN_COOKIE)).toMatch(/Max-Age=0/);
    expect(logged('OIDC_CODE_REJECTED')).toHaveLength(1);
  });

  it('the provider’s error (the person declined): 401 OIDC_SIGN_IN_REFUSED, a page for a browser, JSON for an API client', async () => {
    const { authorize, cookie } = await startSignIn();
    const declined = new URL(REDIRECT_URI);
    declined.searchParams.set('error', 'access_denied');
    declined.searchParams.set('error_description', 'The person declined <script>');
    declined.searchParams.set('state', authorize.searchParams.get('state')!);
    const json = await callback(declined, cookie).expect(401);
    expect(json.body).toMatchObject({ code: 'OIDC_SIGN_IN_REFUSED', message: 'The identity provider did not sign you in: access_denied (The person declined <script>)' });
    const page = await callback(declined, cookie, 'text/html,application/xhtml+xml').expect(401);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('<h1>Sign-in failed</h1>');
    expect(page.text).toContain('access_denied (The person declined &#60;script&#62;)');
    expect(page.text).toContain('<a href="/login">Back to sign-in</a>');
    expect(page.text).not.toContain('<script>');
    expect(logged('OIDC_SIGN_IN_REFUSED')).toHaveLength(2);
  });

  it('provider unreachable when the code is redeemed: 503 IDENTITY_PROVIDER_UNAVAILABLE; at the start: 503 too', async () => {
    const { authorize, cookie } = await startSignIn();
    const answer = await atProvider(authorize);
    const port = idp.port;
    await idp.close();
    try {
      const res = await callback(answer, cookie).expect(503);
      expect(res.body).toMatchObject({ code: 'IDENTITY_PROVIDER_UNAVAILABLE', message: expect.stringContaining('token endpoint') });
      expect(cookieNamed(res.headers, SESSION_COOKIE)).toBeUndefined();
      expect(logged('IDENTITY_PROVIDER_UNAVAILABLE')).toHaveLength(1);
    } finally {
      idp = await startOidcProvider({ port, dashboardRedirectUri: REDIRECT_URI });
    }

    // A service that has never read the provider's discovery document cannot send anyone there.
    const deadIssuer = `http://127.0.0.1:${await freePort()}`;
    const cold = await createTestApp(signInEnv(deadIssuer));
    try {
      const res = await cold.http().get('/api/v1/auth/oidc/login').set('accept', 'text/html').expect(503);
      expect(res.text).toContain('IDENTITY_PROVIDER_UNAVAILABLE');
      expect(res.headers['set-cookie']).toBeUndefined();
    } finally {
      await cold.close();
    }
  });

  it('without OIDC_CLIENT_ID the sign-in routes are 404 OIDC_SIGN_IN_NOT_CONFIGURED and the session names no provider', async () => {
    const plain = await createTestApp();
    try {
      for (const path of ['/api/v1/auth/oidc/login', '/api/v1/auth/oidc/callback?code=x&state=y']) {
        const res = await plain.http().get(path).expect(404);
        expect(res.body).toMatchObject({ status_code: 404, code: 'OIDC_SIGN_IN_NOT_CONFIGURED' });
      }
      expect((await plain.http().get('/api/v1/auth/session').expect(200)).body).toMatchObject({ provider: null, provider_sign_in_url: null });
    } finally {
      await plain.close();
    }
  });
});
