import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/** The API this service is, as a resource server of the provider. */
export const API_RESOURCE = 'urn:model-ab:api';
/** Another API of the same provider: its tokens carry another audience. */
export const OTHER_RESOURCE = 'urn:other:api';
/** Tokens for this resource live one second. */
export const SHORT_RESOURCE = 'urn:model-ab:short';
export const REDIRECT_URI = 'http://127.0.0.1/callback';

export interface ProviderOptions {
  /** Listen on this port (restart on the same issuer); default a free one. */
  port?: number;
  /** The `kid`s of the signing keys, first one signs (RSA for `rsa-*`, P-256 for `ec-*`). */
  kids?: string[];
  /** `aud` of tokens for API_RESOURCE. */
  audience?: string;
  /** Register the dashboard's confidential client (DASHBOARD_CLIENT) with this redirect URI. */
  dashboardRedirectUri?: string;
  /**
   * Real login and consent pages (a form with username and password, then Allow / Deny), as a
   * person sees them. Default: the login step is answered at once for the `login_hint`, no consent.
   */
  interactive?: boolean;
}

export interface TestOidcProvider {
  issuer: string;
  port: number;
  /** Requests to the JWKS endpoint so far. */
  jwksFetches: () => number;
  /** A client-credentials access token of the service client. */
  serviceToken: (resource?: string) => Promise<string>;
  /** An access token of `user`, through the authorization-code flow (PKCE). */
  userToken: (user: string, resource?: string) => Promise<string>;
  close: () => Promise<void>;
}

/** Provider-side roles, in a Keycloak-like `realm_access.roles` claim. */
const ACCOUNT_ROLES: Record<string, string[]> = {
  alice: ['offline_access', 'ml-user'],
  root: ['ml-admin'],
  nobody: ['offline_access'],
};
/** The password of every account on the interactive login page. */
export const ACCOUNT_PASSWORD = 'correct horse battery staple';
/** The dashboard's client (confidential: it redeems codes with its secret and a PKCE verifier). */
export const DASHBOARD_CLIENT = { id: 'model-ab-dashboard', secret: randomBytes(16).toString('hex') };
const SERVICE_CLIENT = { id: 'batch-scorer', secret: randomBytes(16).toString('hex') };
const WEB_CLIENT = { id: 'dashboard', secret: randomBytes(16).toString('hex') };

function signingKey(kid: string): Record<string, unknown> {
  const { privateKey } = kid.startsWith('ec-')
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: kid.startsWith('ec-') ? 'ES256' : 'RS256' };
}

/**
 * A real OpenID Connect provider (`oidc-provider`, the library behind many production providers),
 * in-process on a loopback port: discovery, JWKS, client-credentials tokens for a service client
 * and authorization-code tokens for users (the login step is answered at once for the requested
 * `login_hint`), as JWT access tokens with roles in `realm_access.roles`.
 */
export async function startOidcProvider(options: ProviderOptions = {}): Promise<TestOidcProvider> {
  const kids = options.kids ?? ['rsa-1'];
  const audience = options.audience ?? 'model-ab-api';
  const port = options.port ?? 0;
  let jwksFetches = 0;
  // The issuer must be known before listening: bind first when no port was given.
  const server = await listen(port);
  const actualPort = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${actualPort}`;
  const keys = kids.map(signingKey);

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: SERVICE_CLIENT.id,
        client_secret: SERVICE_CLIENT.secret,
        grant_types: ['client_credentials'],
        id_token_signed_response_alg: keys[0]!.alg as 'RS256' | 'ES256',
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: WEB_CLIENT.id,
        client_secret: WEB_CLIENT.secret,
        grant_types: ['authorization_code'],
        id_token_signed_response_alg: keys[0]!.alg as 'RS256' | 'ES256',
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
      },
      ...(options.dashboardRedirectUri
        ? [
            {
              client_id: DASHBOARD_CLIENT.id,
              client_secret: DASHBOARD_CLIENT.secret,
              grant_types: ['authorization_code'],
              id_token_signed_response_alg: keys[0]!.alg as 'RS256' | 'ES256',
              response_types: ['code'] as const,
              redirect_uris: [options.dashboardRedirectUri],
            },
          ]
        : []),
    ],
    // Every authorization code request must carry a PKCE challenge (S256 only), confidential clients included.
    pkce: { required: () => true },
    jwks: { keys: keys as never },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 300,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 300,
      AuthorizationCode: 60,
      Grant: 600,
      Interaction: 600,
      Session: 600,
      IdToken: 300,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => ({
          scope: 'api',
          audience: indicator === OTHER_RESOURCE ? 'other-api' : audience,
          accessTokenTTL: indicator === SHORT_RESOURCE ? 1 : 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: (keys[0]!.alg as 'RS256' | 'ES256') ?? 'RS256' } },
        }),
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // First-party client: no consent screen; the grant covers what it asks for (interactive: the consent page asks).
    loadExistingGrant: options.interactive ? undefined : async (ctx: KoaContextWithOIDC) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid');
      for (const resource of [API_RESOURCE, OTHER_RESOURCE, SHORT_RESOURCE]) grant.addResourceScope(resource, 'api');
      await grant.save();
      return grant;
    },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    extraTokenClaims: async (_ctx, token) => {
      const accountId = (token as { accountId?: string }).accountId;
      const roles = accountId ? (ACCOUNT_ROLES[accountId] ?? []) : ['ml-service'];
      return { realm_access: { roles } };
    },
  });
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') jwksFetches++;
    if (ctx.path.startsWith('/interaction/') && options.interactive) {
      await interactionPage(provider, ctx);
      return;
    }
    if (ctx.path.startsWith('/interaction/')) {
      // The login screen, answered at once: whoever the client names in login_hint signs in.
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: String(details.params.login_hint) } }, { mergeWithLastSubmission: false });
      return;
    }
    await next();
  });
  server.on('request', provider.callback());

  const basic = (client: { id: string; secret: string }) => `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
  const token = async (client: { id: string; secret: string }, body: Record<string, string>): Promise<string> => {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body),
    });
    const json = (await response.json()) as { access_token?: string };
    if (!json.access_token) throw new Error(`the provider issued no token: ${response.status} ${JSON.stringify(json)}`);
    return json.access_token;
  };

  return {
    issuer,
    port: actualPort,
    jwksFetches: () => jwksFetches,
    serviceToken: (resource = API_RESOURCE) => token(SERVICE_CLIENT, { grant_type: 'client_credentials', scope: 'api', resource }),
    userToken: async (user, resource = API_RESOURCE) => {
      const verifier = randomBytes(32).toString('base64url');
      const authorize = new URL(`${issuer}/auth`);
      for (const [name, value] of Object.entries({
        client_id: WEB_CLIENT.id,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid api',
        resource,
        login_hint: user,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      })) {
        authorize.searchParams.set(name, value);
      }
      const code = await followToCode(authorize.toString(), issuer);
      return token(WEB_CLIENT, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, resource });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · Test SSO</title><link rel="icon" href="data:,"></head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}

type KoaContext = Parameters<Parameters<Provider['use']>[0]>[0];

async function formBody(ctx: KoaContext): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** The provider's own login and consent pages (what oidc-provider leaves to its deployer). */
async function interactionPage(provider: Provider, ctx: KoaContext): Promise<void> {
  const [, , uid, action] = ctx.path.split('/');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const finish = (result: Record<string, unknown>) => provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  if (ctx.method === 'GET' && details.prompt.name === 'login') {
    ctx.type = 'html';
    ctx.body = page(
      'Sign in to Test SSO',
      `<form method="post" action="/interaction/${uid}/login">
<p><label for="username">Username</label> <input id="username" name="username" autocomplete="username" required></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p></form>`,
    );
    return;
  }
  if (ctx.method === 'GET' && details.prompt.name === 'consent') {
    const scopes = [...((details.prompt.details.missingOIDCScope as string[] | undefined) ?? []), ...Object.values((details.prompt.details.missingResourceScopes as Record<string, string[]> | undefined) ?? {}).flat()];
    ctx.type = 'html';
    ctx.body = page(
      'Allow access?',
      `<p>${String(details.params.client_id)} asks for: ${scopes.join(', ')}.</p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`,
    );
    return;
  }
  if (ctx.method === 'POST' && action === 'login') {
    const form = await formBody(ctx);
    const username = form.get('username') ?? '';
    if (!(username in ACCOUNT_ROLES) || form.get('password') !== ACCOUNT_PASSWORD) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = page('Sign in to Test SSO', `<p role="alert">Wrong username or password.</p><p><a href="/interaction/${uid}">Try again</a></p>`);
      return;
    }
    await finish({ login: { accountId: username } });
    return;
  }
  if (ctx.method === 'POST' && action === 'confirm') {
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ clientId: String(details.params.client_id), accountId: details.session!.accountId });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope((missing.missingOIDCScope as string[]).join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
    for (const [indicator, scopes] of Object.entries((missing.missingResourceScopes as Record<string, string[]> | undefined) ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    await finish({ consent: { grantId: await grant.save() } });
    return;
  }
  if (ctx.method === 'POST' && action === 'abort') {
    await finish({ error: 'access_denied', error_description: 'The person declined to sign in' });
    return;
  }
  ctx.status = 404;
}

function listen(port: number): Promise<Server> {
  return import('node:http').then(
    ({ createServer }) =>
      new Promise<Server>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve(server));
      }),
  );
}

/** Follows the provider's redirects (carrying its cookies) until it redirects to the client with a code. */
async function followToCode(start: string, issuer: string): Promise<string> {
  const next = await followProviderRedirects(start, issuer, REDIRECT_URI);
  const code = next.searchParams.get('code');
  if (!code) throw new Error(`the provider refused the sign-in: ${next.search}`);
  return code;
}

/**
 * Follows the provider's redirects from `start` (carrying the provider's cookies, as a browser
 * would) until one leaves the provider for `redirectUri`; returns that URL (with code and state).
 * For a provider without interactive pages: the login is answered for the request's login_hint.
 */
export async function followProviderRedirects(start: string, issuer: string, redirectUri: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = start;
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`the provider stopped the sign-in at ${url}: ${response.status} ${(await response.text()).slice(0, 300)}`);
    const next = new URL(location, issuer);
    if (next.href.startsWith(redirectUri)) return next;
    url = next.href;
  }
  throw new Error('too many redirects signing in at the provider');
}
