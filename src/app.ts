import { randomBytes } from 'node:crypto';
import { type ArgumentMetadata, BadRequestException, DynamicModule, INestApplication, Logger, LoggerService, RequestMethod, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { createHash } from 'node:crypto';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { AllExceptionsFilter, sendError } from './common/errors/all-exceptions.filter.js';
import { writeClientError } from './common/errors/client-error.js';
import { DomainError } from './common/errors/domain-error.js';
import { JsonLogger } from './common/logging/json-logger.js';

export const API_PREFIX = 'api/v1';

export interface CreateAppOptions {
  logger?: LoggerService | false;
  /** Another root module (tests mount probe controllers this way); default AppModule.forRoot(config). */
  rootModule?: DynamicModule;
  /**
   * Build the module graph without instantiating providers (no database connection): enough to
   * generate the OpenAPI document. The app cannot serve requests.
   */
  preview?: boolean;
  /**
   * Called for every route as the router registers it (a Fastify onRoute hook installed before
   * any route exists), so tests can list every route the app serves.
   */
  onRoute?: (route: { method: string | string[]; url: string }) => void;
}

/** Flattens class-validator's nested errors into "events.3.variant must be one of a, b" lines. */
function flatten(errors: ValidationError[], parent = ''): Array<{ field: string; problems: string[] }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Deeper than any request of this API; class-transformer recurses per level and overflows the stack near a few thousand. */
const MAX_NESTING = 32;

interface ValueProblem {
  path: string[];
  problem: string;
}

/**
 * The first thing in a request value that no field of any route may hold, checked before
 * class-transformer and class-validator see it: a NUL character (PostgreSQL cannot store U+0000 in
 * text or jsonb, so the query would fail after part of the work is done) or nesting deeper than
 * MAX_NESTING (the recursion here stops there, so it cannot overflow either). Cheap: a
 * 10,000-event metric batch costs well under a millisecond.
 */
function unacceptableValue(value: unknown, depth: number): ValueProblem | null {
  if (typeof value === 'string') return value.includes('\u0000') ? { path: [], problem: 'must not contain NUL (\\u0000) characters' } : null;
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_NESTING) return { path: [], problem: `is nested more than ${MAX_NESTING} levels deep` };
  const check = (key: string, item: unknown): ValueProblem | null => {
    if (typeof item !== 'string' && (item === null || typeof item !== 'object')) return null;
    const found = unacceptableValue(item, depth + 1);
    found?.path.unshift(key);
    return found;
  };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = check(String(i), value[i]);
      if (found) return found;
    }
    return null;
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (key.includes('\u0000')) return { path: [], problem: 'must not have a property name with a NUL (\\u0000) character' };
    const found = check(key, (value as Record<string, unknown>)[key]);
    if (found) return found;
  }
  return null;
}

class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const found = metadata.type === 'custom' ? null : unacceptableValue(value, 0);
    if (found) {
      const field = [...(metadata.type !== 'body' && metadata.data ? [metadata.data] : []), ...found.path].join('.') || metadata.type;
      const problems = [`${field} ${found.problem}`];
      throw new BadRequestException({ message: problems[0], code: 'VALIDATION_FAILED', details: [{ field, problems }] });
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

export function validationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const message = details.map((d) => d.problems.map((p) => (p.startsWith(d.field) ? p : `${d.field}: ${p}`)).join('; ')).join('; ');
      return new BadRequestException({ message: message || 'The request is not valid', code: 'VALIDATION_FAILED', details });
    },
  });
}

/**
 * The token in an Authorization header, read the way passport-jwt reads it (scheme, whitespace,
 * token; the scheme in any case), so "bearer  T" and "Bearer T" count as the same caller.
 */
function credentialsOf(authorization: string): string {
  const match = /(\S+)\s+(\S+)/.exec(authorization);
  return match && match[1]!.toLowerCase() === 'bearer' ? match[2]! : authorization;
}

/** A short random prefix plus a counter: unique enough to correlate logs, and free on the hot path. */
function requestIdGenerator(): () => string {
  const prefix = randomBytes(4).toString('hex');
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}

/**
 * Builds the application exactly as it serves (prefix, pipes, filter, Swagger, body limits) but does
 * not listen, so tests and the OpenAPI generator get the same app as `npm start`.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? new JsonLogger(config.logLevel);
  const frameworkLogger = new Logger('Errors');
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdGenerator(),
    requestIdHeader: 'x-request-id',
    trustProxy: false,
    logger: false,
    // Requests that arrive while closing get 503 from the hook below, in the one error shape.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // A malformed URL (400) or an over-long path parameter (414) is answered by the router before
    // any hook or filter: in the one error shape too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => sendError(error, request, reply, frameworkLogger),
    clientErrorHandler: writeClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(options.rootModule ?? AppModule.forRoot(config), adapter, {
    logger,
    abortOnError: false,
    bufferLogs: false,
    preview: options.preview ?? false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  const onRoute = options.onRoute;
  if (onRoute) fastify.addHook('onRoute', (route) => onRoute({ method: route.method, url: route.url }));

  await app.register(helmet, {
    // Swagger UI serves inline scripts and styles; everything else is JSON.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
      },
    },
  });
  await app.register(multipart, {
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 20, fieldSize: 1024 * 1024, parts: 25 },
  });
  if (config.rateLimitWritesPerMinute > 0) {
    const max = config.rateLimitWritesPerMinute;
    await app.register(rateLimit, {
      global: true,
      max,
      timeWindow: 60_000,
      cache: 10_000,
      // Per caller: the bearer token when there is one (hashed: the store holds no credentials), else the address.
      keyGenerator: (request) => {
        const authorization = request.headers.authorization;
        return authorization ? createHash('sha1').update(credentialsOf(authorization)).digest('base64url') : `ip:${request.ip}`;
      },
      // Only writes are limited; reads (variant lookups, results) stay on the fast path.
      allowList: (request) => request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS',
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(`Too many write requests: at most ${context.max} per minute per token; retry in ${context.after}`), {
          statusCode: 429,
          code: 'FST_RATE_LIMITED',
        }),
    });
  }
  if (config.corsOrigins.length > 0) app.enableCors({ origin: config.corsOrigins });

  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // Shutting down: requests in flight finish, new ones (on a kept-alive connection) are turned away
  // so a load balancer retries them elsewhere. Fastify has already set `Connection: close`.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    sendError(new DomainError('SHUTTING_DOWN', 'unavailable', 'The server is shutting down; retry the request'), request, reply, frameworkLogger);
  });
  if (config.logRequestsSampleRate > 0 && logger) {
    const rate = config.logRequestsSampleRate;
    fastify.addHook('onResponse', (request, reply, done) => {
      if (Math.random() < rate) {
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

  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });

  if (!options.preview) await app.init();
  return app;
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('model-ab')
    .setDescription(
      'Versioning and A/B testing of machine-learning models on live traffic. ' +
        'Authenticate with a bearer JWT (`npm run token -- --sub alice --role admin`); roles are admin, service and user. ' +
        'Every error answers `{status_code, error, message, code}`.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, builder, { operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}` });
}
