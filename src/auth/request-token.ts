/**
 * Where a request's bearer token comes from: the one place that reads credentials off a request.
 * The JWT strategy, the authentication hook and the write rate limit all go through
 * `tokenFromRequest`; another token source (a session cookie) belongs here too.
 */
import { tokenFromSessionCookie } from './session-cookie.js';

/**
 * Longest Authorization header read at all. A JWT from an identity provider with many groups runs
 * to a few KB; anything longer is refused before any parsing (a header with no space used to cost
 * O(n²) in passport-jwt's unanchored regex: 15,000 bytes held the event loop for ~150 ms).
 */
export const MAX_AUTHORIZATION_LENGTH = 8192;

/** Three base64url segments (the signature may be empty, as in `alg: none`, which verification then refuses). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export type TokenRead =
  | { kind: 'token'; token: string }
  | { kind: 'missing' }
  /** Present but unusable; `reason` is safe to show the caller. */
  | { kind: 'malformed'; reason: string };

interface RequestWithHeaders {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The bearer token of a request: `Authorization: Bearer <jwt>` (scheme in any case, spaces or tabs
 * around the token). A linear scan with fixed bounds: no regular expression runs on more than
 * MAX_AUTHORIZATION_LENGTH characters, and the only one that runs is anchored without nesting.
 */
export function tokenFromRequest(request: RequestWithHeaders): TokenRead {
  const header = request.headers.authorization;
  if (header === undefined || header === '') return sessionToken(request);
  if (typeof header !== 'string') return { kind: 'malformed', reason: 'send one Authorization header' };
  if (header.length > MAX_AUTHORIZATION_LENGTH) {
    return { kind: 'malformed', reason: `the Authorization header is longer than ${MAX_AUTHORIZATION_LENGTH} characters` };
  }
  return parseBearer(header);
}

/**
 * The dashboard's session cookie, read only when there is no Authorization header (an API client's
 * bearer token is never replaced by a browser session); held to the same shape and length bounds.
 */
function sessionToken(request: RequestWithHeaders): TokenRead {
  const token = tokenFromSessionCookie(request);
  if (token === null) return { kind: 'missing' };
  if (token.length > MAX_AUTHORIZATION_LENGTH || !JWT_SHAPE.test(token)) return { kind: 'malformed', reason: 'the session cookie does not hold a JWT: sign in again' };
  return { kind: 'token', token };
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** `Bearer <token>` → the token; anything else → malformed. */
export function parseBearer(header: string): TokenRead {
  let start = 0;
  let end = header.length;
  while (start < end && isBlank(header.charCodeAt(start))) start++;
  while (end > start && isBlank(header.charCodeAt(end - 1))) end--;
  const scheme = header.slice(start, start + 6);
  if (scheme.toLowerCase() !== 'bearer' || start + 6 >= end || !isBlank(header.charCodeAt(start + 6))) {
    return { kind: 'malformed', reason: 'the Authorization header must be "Bearer <token>"' };
  }
  let tokenStart = start + 7;
  while (tokenStart < end && isBlank(header.charCodeAt(tokenStart))) tokenStart++;
  const token = header.slice(tokenStart, end);
  if (!JWT_SHAPE.test(token)) return { kind: 'malformed', reason: 'the bearer token is not a JWT (three base64url parts separated by dots)' };
  return { kind: 'token', token };
}
