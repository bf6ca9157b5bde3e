import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Header, Headers, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../../common/errors/error-body.js';
import { MetricsConfig } from './metrics.config.js';
import { MetricsError } from './metrics.errors.js';
import { MetricsPrometheus } from './metrics-prometheus.js';

const BEARER = 'bearer ';

/** Whether `authorization` is `Bearer <expected>` (scheme in any case); constant time in the token. */
export function presentsToken(authorization: string | undefined, expected: string): boolean {
  // Length first: nothing longer than a bearer of the configured token is worth hashing.
  if (authorization === undefined || authorization.length !== BEARER.length + expected.length) return false;
  if (authorization.slice(0, BEARER.length).toLowerCase() !== BEARER) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(authorization.slice(BEARER.length)), digest(expected));
}

/**
 * Prometheus scrape endpoint, outside the /api/v1 prefix. Public like /health unless
 * METRICS_TOKEN is set; then the scraper sends it as a bearer token.
 */
@ApiTags('metrics')
@Controller('metrics')
export class PrometheusController {
  constructor(
    private readonly prometheus: MetricsPrometheus,
    @Inject(MetricsConfig.token) private readonly config: MetricsConfig,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics: per A/B test and variant requests, errors, latency histogram and custom metric counts, plus process metrics',
    description:
      'Public unless the server sets METRICS_TOKEN; then send `Authorization: Bearer <METRICS_TOKEN>`. ' +
      'Counters are per instance; sum them across instances.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4', schema: { type: 'string' } })
  @ApiUnauthorizedResponse({ type: ErrorBody, description: 'METRICS_TOKEN_REQUIRED: METRICS_TOKEN is set and the request does not present it' })
  scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    const token = this.config.metricsToken;
    if (token !== null && !presentsToken(authorization, token)) throw MetricsError.metricsTokenRequired();
    return this.prometheus.metrics();
  }
}
