import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendError } from '../common/errors/all-exceptions.filter.js';
import type { Logger } from '@nestjs/common';
import { AuthError } from './auth.errors.js';

/**
 * The dashboard's session: the signed-in token itself, kept in an HttpOnly, SameSite=Strict cookie
 * (Secure over HTTPS). The server stays stateless — the cookie is verified exactly like a bearer
 * token — and scripts in the page never see it.
 */
export const SESSION_COOKIE = 'model_ab_session';

/** The session token in a Cookie header, or null. */
export function sessionTokenOf(cookieHeader: string | undefined): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0 || part.slice(0, separator).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(separator + 1).trim();
    return value.length > 0 ? value : null;
  }
  return null;
}

/**
 * A token source for the JWT strategy besides the Authorization header. The header wins when both
 * are present, so an API client's bearer token is never replaced by a browser session.
 */
export function tokenFromSessionCookie(request: { headers: Record<string, string | string[] | undefined> }): string | null {
  const cookie = request.headers.cookie;
  return sessionTokenOf(Array.isArray(cookie) ? cookie.join('; ') : cookie);
}

export interface SessionCookieOptions {
  token: string;
  /** Seconds until the token expires (the cookie ends with it). */
  maxAgeSeconds: number;
  secure: boolean;
}

export function sessionCookie({ token, maxAgeSeconds, secure }: SessionCookieOptions): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a write may use the session cookie: only when the browser says it comes from a page of
 * this very origin. SameSite=Strict already keeps the cookie off cross-site requests; the Origin
 * check also covers same-site attackers (another port or subdomain) and browsers without SameSite.
 * Requests with an Authorization header are not cookie-authenticated and are not checked.
 */
export function csrfRejection(request: Pick<FastifyRequest, 'method' | 'headers' | 'protocol' | 'host'>): string | null {
  if (SAFE_METHODS.has(request.method)) return null;
  if (request.headers.authorization) return null;
  if (!tokenFromSessionCookie(request)) return null;
  const origin = request.headers.origin;
  if (!origin) return 'a write authenticated by the session cookie must carry an Origin header';
  if (origin !== `${request.protocol}://${request.host}`) return `a write authenticated by the session cookie came from another origin (${origin})`;
  return null;
}

/** Rejects cookie-authenticated writes from other origins with 403 CSRF_REJECTED, before any route runs. */
export function installCsrfCheck(fastify: FastifyInstance, errorLogger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const reason = csrfRejection(request);
    if (!reason) return done();
    sendError(AuthError.crossSiteWrite(reason), request, reply, errorLogger);
  });
}
