import { DynamicModule, INestApplication, Logger, LoggerService, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { AllExceptionsFilter, sendError } from './common/errors/all-exceptions.filter.js';
import { writeClientError } from './common/errors/client-error.js';
import { JsonLogger } from './common/logging/json-logger.js';
import { installRequestHooks, requestIdGenerator } from './common/http/request-hooks.js';
import { dashboardSecurityHeaders, securityHeaders } from './common/http/security-headers.js';
import { trackAllowedMethods } from './common/http/allowed-methods.js';
import { registerBodyParsers } from './common/http/body-parsers.js';
import { installCsrfCheck } from './auth/session-cookie.js';
import { defaultDashboardDir, registerDashboard } from './dashboard/dashboard.js';
import { registerWriteRateLimit } from './common/http/write-rate-limit.js';
import { validationPipe } from './common/validation/api-validation-pipe.js';
import { finalizeOpenApiDocument } from './openapi/finalize-document.js';
import { Authenticator } from './auth/authenticator.js';
import { installAuthentication } from './auth/authentication.hooks.js';

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
  trackAllowedMethods(fastify);
  registerBodyParsers(app, config.bodyLimitBytes);
  const onRoute = options.onRoute;
  if (onRoute) fastify.addHook('onRoute', (route) => onRoute({ method: route.method, url: route.url }));

  await app.register(multipart, {
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 20, fieldSize: 1024 * 1024, parts: 25 },
  });
  await registerWriteRateLimit(app, { perUserToken: config.rateLimitWritesPerMinute, perServiceToken: config.rateLimitServiceWritesPerMinute });
  if (config.corsOrigins.length > 0) app.enableCors({ origin: config.corsOrigins });
  installRequestHooks(fastify, { staticHeaders: securityHeaders(), logSampleRate: config.logRequestsSampleRate, logger, errorLogger: frameworkLogger });
  installCsrfCheck(fastify, frameworkLogger);
  // After the request hooks (headers, request id), before the write rate limit's route hooks.
  if (!options.preview) installAuthentication(fastify, app.get(Authenticator), frameworkLogger);
  await registerDashboard(app, { dir: defaultDashboardDir(), pageHeaders: dashboardSecurityHeaders(), errorLogger: frameworkLogger });

  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());

  // Off by default in production (SWAGGER_ENABLED): the document maps every route for anyone.
  if (config.swaggerEnabled) {
    const document = buildOpenApiDocument(app);
    SwaggerModule.setup('docs', app, document, {
      jsonDocumentUrl: 'docs-json',
      swaggerOptions: { persistAuthorization: true },
      // The served document names the server it was read from, so "Try it out" calls this instance.
      patchDocumentOnRequest: <TRequest>(request: TRequest, _reply: unknown, served: OpenAPIObject) => {
        const { protocol, host } = request as FastifyRequest;
        return { ...served, servers: [{ url: `${protocol}://${host}`, description: 'this server' }] };
      },
    });
  }

  if (!options.preview) await app.init();
  return app;
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('model-ab')
    .setDescription(
      'Versioning and A/B testing of machine-learning models on live traffic. ' +
        'Authenticate with a bearer JWT: `npm start` prints an admin token, and `npm run token -- --sub alice --role admin` mints one; ' +
        'roles are admin, service and user. Every error answers `{status_code, error, message, code, details?}` with a stable `code`.',
    )
    .setVersion('0.1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'Paste a token without the word Bearer. `npm start` prints an admin token (valid 30 days) when it starts; ' +
        'mint others in the repository with `npm run -s token -- --sub alice --role admin` (roles: admin, service, user; `--ttl 30d`).',
    })
    .build();
  const document = SwaggerModule.createDocument(app, builder, {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });
  return finalizeOpenApiDocument(document);
}
