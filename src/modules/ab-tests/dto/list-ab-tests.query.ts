import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { AB_TEST_STATUSES, type AbTestStatus } from '../lifecycle.js';
import { MODEL_TYPE_PATTERN } from './create-ab-test.dto.js';

export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}

export class ListAbTestsQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'safety_classifier' })
  @IsOptional()
  @IsString()
  @Matches(MODEL_TYPE_PATTERN, { message: 'model_type must be a model type name (lower_snake_case)' })
  model_type?: string;

  @ApiPropertyOptional({ enum: AB_TEST_STATUSES, example: 'active' })
  @IsOptional()
  @IsIn(AB_TEST_STATUSES)
  status?: AbTestStatus;
}
