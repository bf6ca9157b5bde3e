import type { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendError } from '../common/errors/all-exceptions.filter.js';
import type { Authenticator } from './authenticator.js';
import type { AuthUser } from './roles.js';

/** Fastify route config set by @Authenticated(): the route needs a verified caller. */
export const AUTHENTICATED_ROUTE = 'modelAbAuthenticated';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set before the body is read on routes behind @Authenticated(). */
    user?: AuthUser;
  }
}

/**
 * Authenticates requests to @Authenticated() routes before anything else looks at them:
 * - onRequest: verify the token (once; the guard reuses the outcome) so the write rate limit,
 *   which runs next, keys by the verified caller rather than by whatever string was sent;
 * - preParsing: refuse a failed authentication before the body is read, so a bad token costs no
 *   body parsing (a 4 MB JSON body used to be parsed before its 401).
 */
export function installAuthentication(fastify: FastifyInstance, authenticator: Authenticator, errorLogger: Logger): void {
  const failures = new WeakMap<FastifyRequest, unknown>();
  fastify.addHook('onRequest', (request, _reply, done) => {
    const config = request.routeOptions.config as unknown as Record<string, unknown> | undefined;
    if (config?.[AUTHENTICATED_ROUTE] !== true) return done();
    // A token verified before: no promise, no passport.
    const remembered = authenticator.remembered(request);
    if (remembered !== undefined) {
      request.user = remembered;
      return done();
    }
    authenticator.authenticate(request).then(
      (user) => {
        request.user = user;
        done();
      },
      (error: unknown) => {
        failures.set(request, error);
        done();
      },
    );
  });
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    const failure = failures.get(request);
    if (failure === undefined) return done(null, payload);
    sendError(failure, request, reply, errorLogger);
  });
}
