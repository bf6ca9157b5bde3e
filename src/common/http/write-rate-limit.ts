import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import rateLimit from '@fastify/rate-limit';

export interface WriteRateLimits {
  /** Writes per minute for user tokens and callers without a token; 0 = no limit. */
  perUserToken: number;
  /** Writes per minute for service and admin tokens (backends calling for many users); 0 = no limit. */
  perServiceToken: number;
}

/**
 * The token in an Authorization header, read the way passport-jwt reads it (scheme, whitespace,
 * token; the scheme in any case), so "bearer  T" and "Bearer T" count as the same caller.
 */
export function credentialsOf(authorization: string): string {
  const match = /(\S+)\s+(\S+)/.exec(authorization);
  return match && match[1]!.toLowerCase() === 'bearer' ? match[2]! : authorization;
}

/**
 * Whether the token claims a service or admin role. Read without verifying the signature: this
 * only picks which limit applies; a forged claim gets the larger allowance for requests that the
 * auth guard then rejects with 401 before doing any work.
 */
export function claimsServiceRole(token: string): boolean {
  const payload = token.split('.')[1];
  if (!payload) return false;
  try {
    const roles = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown }).roles;
    return Array.isArray(roles) && (roles.includes('service') || roles.includes('admin'));
  } catch {
    return false;
  }
}

function isRead(request: FastifyRequest): boolean {
  return request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS';
}

/**
 * Per-token limit on write routes (429 with Retry-After). Reads — variant lookups, results — are
 * never limited and stay on the fast path. Counts are per instance.
 */
export async function registerWriteRateLimit(app: NestFastifyApplication, limits: WriteRateLimits): Promise<void> {
  if (limits.perUserToken === 0 && limits.perServiceToken === 0) return;
  const isService = new WeakMap<FastifyRequest, boolean>();
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    cache: 10_000,
    // Per caller: the bearer token when there is one (hashed: the store holds no credentials), else the address.
    keyGenerator: (request) => {
      if (isRead(request)) return ''; // let through by allowList: no hashing on the read hot path
      const authorization = request.headers.authorization;
      if (!authorization) return `ip:${request.ip}`;
      const token = credentialsOf(authorization);
      isService.set(request, claimsServiceRole(token));
      return createHash('sha1').update(token).digest('base64url');
    },
    max: (request) => (isService.get(request) ? limits.perServiceToken : limits.perUserToken),
    allowList: (request) => isRead(request) || (isService.get(request) ? limits.perServiceToken : limits.perUserToken) === 0,
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`Too many write requests: at most ${context.max} per minute per token; retry in ${context.after}`), {
        statusCode: 429,
        code: 'FST_RATE_LIMITED',
      }),
  });
}
