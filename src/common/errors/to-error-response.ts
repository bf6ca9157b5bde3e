import { HttpException } from '@nestjs/common';
import { DomainError } from './domain-error.js';
import type { ErrorCode } from './error-codes.js';
import { codeForStatus, reasonPhrase } from './http-status.js';
import type { ErrorBody } from './error-body.js';

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** Set when the error is ours (a 5xx we did not mean): the caller logs it with its stack. */
  unexpected: boolean;
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'connect ECONNREFUSED',
  'the database system is shutting down',
  'the database system is starting up',
];

/**
 * TypeORM releases a query runner by itself when its connection emits an error (the server closed
 * it): the next statement of that request's transaction then fails with one of these, not with a
 * driver error. They mean the connection was lost mid-request.
 */
const CONNECTION_LOST_ERRORS = new Set(['QueryRunnerProviderAlreadyReleasedError', 'QueryRunnerAlreadyReleasedError']);

/** True when an error means "the database cannot be reached", as opposed to a bad query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    if (typeof current !== 'object') break;
    const candidate = current as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && CONNECTION_ERROR_CODES.has(candidate.code)) return true;
    if (typeof candidate.name === 'string' && CONNECTION_LOST_ERRORS.has(candidate.name)) return true;
    if (typeof candidate.message === 'string' && CONNECTION_MESSAGES.some((m) => (candidate.message as string).includes(m))) {
      return true;
    }
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}

function body(status: number, message: string, code: string, details?: unknown): ErrorBody {
  const result: ErrorBody = { status_code: status, error: reasonPhrase(status), message, code };
  if (details !== undefined) result.details = details as ErrorBody['details'];
  return result;
}

function messageOf(response: unknown, fallback: string): { message: string; details?: unknown; code?: string } {
  if (typeof response === 'string') return { message: response };
  if (response && typeof response === 'object') {
    const r = response as { message?: unknown; details?: unknown; code?: unknown };
    const code = typeof r.code === 'string' ? r.code : undefined;
    if (Array.isArray(r.message)) return { message: r.message.join('; '), details: r.details, code };
    if (typeof r.message === 'string') return { message: r.message, details: r.details, code };
  }
  return { message: fallback };
}

/** Fastify's own error codes that are the client's fault, with the code we expose for them. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_RATE_LIMITED: 'RATE_LIMITED',
};

/**
 * Maps anything thrown while serving a request to the one error shape. Never lets a stack trace,
 * SQL text or driver message reach the client: unknown errors become a generic 500.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof DomainError) {
    const status = error.status;
    return { status, body: body(status, error.message, error.code, error.details), unexpected: false };
  }
  if (error instanceof HttpException) {
    // Nest wraps Fastify's own 4xx errors (bad JSON, body too large) in an HttpException.
    const cause = (error as { cause?: unknown }).cause;
    if (cause && typeof cause === 'object' && typeof (cause as { code?: unknown }).code === 'string') return toErrorResponse(cause);
    const status = error.getStatus();
    const { message, details, code } = messageOf(error.getResponse(), error.message);
    return { status, body: body(status, message, code ?? codeForStatus(status), details), unexpected: status >= 500 };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: 503,
      body: body(503, 'The database is unavailable; try again shortly', 'DATABASE_UNAVAILABLE'),
      unexpected: false,
    };
  }
  const fastifyError = error as { statusCode?: unknown; code?: unknown; message?: unknown } | null;
  if (fastifyError && typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    const knownCode = typeof fastifyError.code === 'string' ? FASTIFY_CODES[fastifyError.code] : undefined;
    const isJsonSyntax = error instanceof SyntaxError;
    const code = knownCode ?? (isJsonSyntax ? 'MALFORMED_JSON' : codeForStatus(status));
    const message =
      code === 'MALFORMED_JSON'
        ? 'The request body is not valid JSON'
        : code === 'PAYLOAD_TOO_LARGE'
          ? 'The request body is larger than the server accepts'
          : typeof fastifyError.message === 'string'
            ? fastifyError.message
            : reasonPhrase(status);
    return { status, body: body(status, message, code), unexpected: false };
  }
  return { status: 500, body: body(500, 'Internal server error', 'INTERNAL_ERROR'), unexpected: true };
}
