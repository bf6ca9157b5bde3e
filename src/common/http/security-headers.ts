import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

type CspDirectives = NonNullable<Exclude<HelmetOptions['contentSecurityPolicy'], boolean | undefined>['directives']>;

/**
 * The security headers helmet sets for our configuration, computed once. They are the same for
 * every response (no CSP nonces), so the hot path copies a ready object instead of running
 * helmet's middleware (and @fastify/helmet's async hook) per request.
 */
export function securityHeaders(): Record<string, string> {
  // Swagger UI serves inline scripts and styles; everything else is JSON.
  return precompute({
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", "'unsafe-inline'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
  });
}

/**
 * The dashboard's pages and assets: scripts and styles only from its own hashed files (no
 * 'unsafe-inline'), data only from this origin, and no framing.
 */
export function dashboardSecurityHeaders(): Record<string, string> {
  return precompute({
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
    // Served over plain HTTP on a private network too; upgrading its requests to HTTPS would break it.
    upgradeInsecureRequests: null,
  });
}

function precompute(directives: CspDirectives): Record<string, string> {
  const middleware = helmet({ contentSecurityPolicy: { directives } });
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let called = false;
  middleware({ headers: {} } as IncomingMessage, response as unknown as ServerResponse, () => {
    called = true;
  });
  if (!called) throw new Error('helmet did not finish synchronously; security headers cannot be precomputed');
  return headers;
}
