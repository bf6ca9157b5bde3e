import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { MetricsPrometheus } from './metrics-prometheus.js';

/** Prometheus scrape endpoint; public like /health (outside the /api/v1 prefix). */
@ApiTags('metrics')
@Controller('metrics')
export class PrometheusController {
  constructor(private readonly prometheus: MetricsPrometheus) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics: per A/B test and variant requests, errors, latency histogram and custom metric counts, plus process metrics',
    description: 'No token: for a Prometheus scrape job. Counters are per instance; sum them across instances.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4', schema: { type: 'string' } })
  scrape(): Promise<string> {
    return this.prometheus.metrics();
  }
}
