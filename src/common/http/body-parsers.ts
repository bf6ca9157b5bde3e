import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.js';

function isBlank(body: Buffer): boolean {
  for (const byte of body) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

export function unsupportedMediaType(contentType: string | undefined): DomainError {
  return new DomainError(
    'UNSUPPORTED_MEDIA_TYPE',
    `This route takes a JSON body: send Content-Type: application/json${contentType ? ` (got ${contentType.split(';')[0]!.trim()})` : ''}`,
  );
}

/**
 * How request bodies are read:
 * - JSON (secure parse: `__proto__`/`constructor` keys rejected); an empty body is no body, which is
 *   what `curl -H 'Content-Type: application/json'` and many generated clients send to routes that
 *   take none (start, pause). A route that needs a body still answers VALIDATION_FAILED for it.
 * - Any other type (form-encoded, as `curl -d` sends by default, or text) is 415 with what to send,
 *   instead of a form parsed into one nonsense field; empty, it is no body as well. Multipart keeps
 *   its own parser (model uploads).
 */
export function registerBodyParsers(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  const json = fastify.getDefaultJsonParser('error', 'error');
  if (fastify.hasContentTypeParser('text/plain')) fastify.removeContentTypeParser('text/plain');
  app.useBodyParser('application/json', { bodyLimit }, (request, body, done) => {
    if (isBlank(body)) return done(null, undefined);
    json(request as FastifyRequest, body.toString('utf8'), done);
  });
  app.useBodyParser('*', { bodyLimit }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    done(unsupportedMediaType(request.headers['content-type']));
  });
}
