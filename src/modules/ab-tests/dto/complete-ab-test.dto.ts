import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import type { Variant } from '../bucketing.js';

export class CompleteAbTestDto {
  @ApiPropertyOptional({ enum: ['a', 'b'], nullable: true, example: 'b', description: 'The winning variant, or null for no winner' })
  @IsOptional()
  @IsIn(['a', 'b'])
  winner?: Variant | null;

  @ApiPropertyOptional({ example: false, default: false, description: "Make the winner's model version the production version (same transaction)" })
  @IsOptional()
  @IsBoolean()
  promote?: boolean;

  @ApiPropertyOptional({ example: 'b cut false positives by 12% at equal latency.', maxLength: 10000, description: 'Findings, shown with the test' })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  notes?: string;
}
