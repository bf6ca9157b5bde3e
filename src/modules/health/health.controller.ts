import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ErrorBody } from '../../common/errors/error-body.js';
import { HealthService } from './health.service.js';

export class LivenessResponse {
  @ApiProperty({ example: 'ok' })
  status: 'ok';

  @ApiProperty({ example: 12.5, description: 'Seconds since the process started' })
  uptime_s: number;
}

export class ReadinessResponse {
  @ApiProperty({ example: 'ok' })
  status: 'ok';

  @ApiProperty({ example: 'up' })
  database: 'up';

  @ApiProperty({ example: 1.2, description: 'Round trip of SELECT 1, in milliseconds' })
  database_latency_ms: number;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP', description: 'No token, no database access: for a liveness probe.' })
  @ApiOkResponse({ type: LivenessResponse })
  live(): LivenessResponse {
    return { status: 'ok', uptime_s: Math.round(process.uptime() * 10) / 10 };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers (503 when it does not)', description: 'No token. Runs `SELECT 1` and reports its round trip; 503 DATABASE_UNAVAILABLE when PostgreSQL does not answer.' })
  @ApiOkResponse({ type: ReadinessResponse })
  @ApiServiceUnavailableResponse({ type: ErrorBody, description: 'The database is unreachable' })
  async ready(): Promise<ReadinessResponse> {
    const latency = await this.health.checkDatabase();
    return { status: 'ok', database: 'up', database_latency_ms: latency };
  }
}
