import { ArgumentsHost, Catch, ExceptionFilter, Logger, NotFoundException } from '@nestjs/common';
import '../http/allowed-methods.js';
import { DomainError } from './domain-error.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './to-error-response.js';

/** The one global filter: every error leaves as `{status_code, error, message, code}`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    sendError(exception, request, reply, this.logger);
  }
}

/**
 * A 404 for a path that exists under other methods is a 405 naming them (and `Allow`); HEAD and
 * OPTIONS are left to the router.
 */
function methodNotAllowed(exception: unknown, request: FastifyRequest | undefined): DomainError | null {
  if (!request || !(exception instanceof NotFoundException) || typeof request.server?.allowedMethods !== 'function') return null;
  const path = request.url.split('?')[0]!;
  const allowed = request.server.allowedMethods(path).filter((method) => method !== request.method);
  if (allowed.length === 0) return null;
  return new DomainError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, {
    allowed_methods: allowed,
  });
}

export function sendError(exception: unknown, request: FastifyRequest | undefined, reply: FastifyReply, logger: Logger): void {
  const notAllowed = methodNotAllowed(exception, request);
  if (notAllowed) {
    reply.header('allow', (notAllowed.details!.allowed_methods as string[]).join(', '));
    exception = notAllowed;
  }
  const { status, body, unexpected } = toErrorResponse(exception);
  const where = request ? `${request.method} ${request.url} [${String(request.id)}]` : 'request';
  if (unexpected) {
    logger.error(`${where} failed: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
  } else if (status === 503) {
    logger.warn(`${where} → 503 ${body.code}: ${exception instanceof Error ? exception.message : String(exception)}`);
  }
  if (reply.sent) return;
  // Router errors (malformed URL, over-long parameter) are answered before the onRequest hook.
  if (request && !reply.hasHeader('x-request-id')) reply.header('x-request-id', request.id);
  if (status === 429 && !reply.getHeader('retry-after')) reply.header('retry-after', String(retryAfterOf(body.details) ?? 60));
  void reply.status(status).type('application/json; charset=utf-8').send(body);
}

/** A 429's own wait (`details.retry_after_seconds`), when it gives one. */
function retryAfterOf(details: unknown): number | undefined {
  const seconds = (details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
  return typeof seconds === 'number' && Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
}
