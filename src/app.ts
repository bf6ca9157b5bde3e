import { randomBytes } from 'node:crypto';
import { BadRequestException, DynamicModule, INestApplication, LoggerService, RequestMethod, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import multipart from '@fastify/multipart';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { createHash } from 'node:crypto';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter.js';
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
}

/** Flattens class-validator's nested errors into "events.3.variant must be one of a, b" lines. */
function flatten(errors: ValidationError[], parent = ''): Array<{ field: string; problems: string[] }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
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
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdGenerator(),
    requestIdHeader: 'x-request-id',
    trustProxy: false,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(options.rootModule ?? AppModule.forRoot(config), adapter, {
    logger,
    abortOnError: false,
    bufferLogs: false,
    preview: options.preview ?? false,
  });
  const fastify = app.getHttpAdapter().getInstance();

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
        return authorization ? createHash('sha1').update(authorization).digest('base64url') : `ip:${request.ip}`;
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
