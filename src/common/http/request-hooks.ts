import { randomBytes } from 'node:crypto';
import type { Logger, LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../errors/all-exceptions.filter.js';
import { DomainError } from '../errors/domain-error.js';

/** A short random prefix plus a counter: unique enough to correlate logs, and free on the hot path. */
export function requestIdGenerator(): () => string {
  const prefix = randomBytes(4).toString('hex');
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}

export interface RequestHookOptions {
  /** Headers every response carries (security headers), computed once. */
  staticHeaders: Record<string, string>;
  /** Share of requests logged, 0 to 1. */
  logSampleRate: number;
  logger: LoggerService | false;
  errorLogger: Logger;
}

/**
 * The per-request work every route pays, in one synchronous hook: static headers, the request id,
 * and turning requests away while the server closes. Requests in flight at close finish; new ones
 * on kept-alive connections get 503 SHUTTING_DOWN so a load balancer retries them elsewhere.
 */
export function installRequestHooks(fastify: FastifyInstance, options: RequestHookOptions): void {
  const { staticHeaders, logSampleRate, logger, errorLogger } = options;
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(staticHeaders);
    reply.header('x-request-id', request.id);
    if (!closing) return done();
    sendError(new DomainError('SHUTTING_DOWN', 'The server is shutting down; retry the request'), request, reply, errorLogger);
  });
  if (logSampleRate > 0 && logger) {
    fastify.addHook('onResponse', (request, reply, done) => {
      if (Math.random() < logSampleRate) {
        logger.log(
          {
            msg: 'request',
            request_id: request.id,
            method: request.method,
            url: request.url,
            status: reply.statusCode,
            duration_ms: Math.round(reply.elapsedTime * 100) / 100,
          },
          'HTTP',
        );
      }
      done();
    });
  }
}
