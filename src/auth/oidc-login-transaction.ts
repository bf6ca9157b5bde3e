import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One dashboard sign-in through the OpenID provider, between the redirect to the provider and its
 * callback: the `state` the provider must send back and the PKCE `code_verifier` that redeems the
 * code. It lives in the browser that started the sign-in, in an HttpOnly cookie encrypted and
 * authenticated with a key derived from the JWT secret (AES-256-GCM), so every instance of the
 * service can finish a sign-in another one started and nothing is stored server-side.
 */
export interface LoginTransaction {
  state: string;
  verifier: string;
  /** The redirect_uri of the authorization request (the token request must repeat it). */
  redirectUri: string;
  /** When the sign-in started (ms since the epoch). */
  startedAt: number;
}

export const LOGIN_COOKIE = 'model_ab_oidc_login';
/** The cookie goes only to the sign-in routes. */
export const LOGIN_COOKIE_PATH = '/api/v1/auth/oidc';
/** A sign-in must come back from the provider within this. */
export const LOGIN_TTL_SECONDS = 600;

const AAD = Buffer.from('model-ab dashboard sign-in v1');

export function newLoginTransaction(redirectUri: string, now = Date.now()): LoginTransaction {
  return { state: randomBytes(24).toString('base64url'), verifier: randomBytes(32).toString('base64url'), redirectUri, startedAt: now };
}

/** PKCE S256: BASE64URL(SHA256(code_verifier)). */
export function codeChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export interface AuthorizationRequest {
  endpoint: string;
  clientId: string;
  scopes: string;
  extraParams: Record<string, string>;
}

/** The provider's authorization URL for this sign-in: response_type=code with an S256 code challenge. */
export function authorizationUrl(request: AuthorizationRequest, transaction: LoginTransaction): string {
  const url = new URL(request.endpoint);
  for (const [name, value] of Object.entries(request.extraParams)) url.searchParams.set(name, value);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', request.clientId);
  url.searchParams.set('redirect_uri', transaction.redirectUri);
  url.searchParams.set('scope', request.scopes);
  url.searchParams.set('state', transaction.state);
  url.searchParams.set('code_challenge', codeChallenge(transaction.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/** Whether the callback's `state` is the one this browser's sign-in sent (constant time). */
export function sameState(expected: string, received: unknown): boolean {
  if (typeof received !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Seals and opens login transactions with a key derived from the JWT secret. */
export class LoginTransactionSealer {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(secret), Buffer.alloc(0), 'model-ab dashboard sign-in cookie', 32));
  }

  seal(transaction: LoginTransaction): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(JSON.stringify(transaction), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The transaction, or null when the value was not sealed here, was changed, or is too old. */
  open(sealed: string, now = Date.now()): LoginTransaction | null {
    if (sealed.length > 2000 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 12 + 16 + 2) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(AAD);
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
      const value = JSON.parse(text) as Partial<LoginTransaction>;
      if (typeof value.state !== 'string' || typeof value.verifier !== 'string' || typeof value.redirectUri !== 'string' || typeof value.startedAt !== 'number') return null;
      if (now - value.startedAt > LOGIN_TTL_SECONDS * 1000 || value.startedAt > now + 60_000) return null;
      return value as LoginTransaction;
    } catch {
      return null;
    }
  }
}

/**
 * SameSite=Lax, not Strict like the session: the provider's redirect back to the callback is a
 * cross-site top-level navigation, on which browsers send Lax cookies but not Strict ones. The
 * cookie only ever goes to the sign-in routes (Path) and lives 10 minutes.
 */
export function loginCookie(sealed: string, secure: boolean): string {
  return `${LOGIN_COOKIE}=${sealed}; Path=${LOGIN_COOKIE_PATH}; Max-Age=${LOGIN_TTL_SECONDS}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export function clearedLoginCookie(secure: boolean): string {
  return `${LOGIN_COOKIE}=; Path=${LOGIN_COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** The sealed login transaction in a Cookie header, or null. */
export function loginCookieOf(cookieHeader: string | string[] | undefined): string | null {
  const header = Array.isArray(cookieHeader) ? cookieHeader.join('; ') : cookieHeader;
  if (!header) return null;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== LOGIN_COOKIE) continue;
    const value = part.slice(at + 1).trim();
    return value || null;
  }
  return null;
}
