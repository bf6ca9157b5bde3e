import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The one shape of every error response. */
export class ErrorBody {
  @ApiProperty({ example: 404 })
  status_code: number;

  @ApiProperty({ example: 'Not Found' })
  error: string;

  @ApiProperty({ example: 'A/B test 3f0c… does not exist' })
  message: string;

  @ApiProperty({ example: 'AB_TEST_NOT_FOUND', description: 'Stable machine-readable code' })
  code: string;

  @ApiPropertyOptional({ description: 'Structured details (for example each validation failure)' })
  details?: unknown;
}
