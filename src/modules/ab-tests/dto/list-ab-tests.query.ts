import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { PageQuery } from '../../../common/pagination/page.query.js';

export { PageQuery };
import { AB_TEST_STATUSES, type AbTestStatus } from '../lifecycle/lifecycle.js';
import { MODEL_TYPE_PATTERN } from './create-ab-test.dto.js';

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
