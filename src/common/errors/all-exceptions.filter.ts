import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
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

export function sendError(exception: unknown, request: FastifyRequest | undefined, reply: FastifyReply, logger: Logger): void {
  const { status, body, unexpected } = toErrorResponse(exception);
  const where = request ? `${request.method} ${request.url} [${String(request.id)}]` : 'request';
  if (unexpected) {
    logger.error(`${where} failed: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
  } else if (status === 503) {
    logger.warn(`${where} → 503 ${body.code}: ${exception instanceof Error ? exception.message : String(exception)}`);
  }
  if (reply.sent) return;
  if (status === 429 && !reply.getHeader('retry-after')) reply.header('retry-after', String(retryAfterOf(body.details) ?? 60));
  void reply.status(status).type('application/json; charset=utf-8').send(body);
}

/** A 429's own wait (`details.retry_after_seconds`), when it gives one. */
function retryAfterOf(details: unknown): number | undefined {
  const seconds = (details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
  return typeof seconds === 'number' && Number.isInteger(seconds) && seconds > 0 ? seconds : undefined;
}
