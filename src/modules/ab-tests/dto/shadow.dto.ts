import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import type { DisagreementRow } from '../shadow/shadow.store.js';
import { RolloutDto } from './rollout.dto.js';
import { TrafficSplitDto } from './traffic-split.dto.js';

/** `POST /ab-tests/{id}/graduate`: the A/B test a ready shadow test becomes. */
export class GraduateShadowTestDto {
  @ApiPropertyOptional({ example: 'Safety Classifier v2 A/B', minLength: 1, maxLength: 200, description: 'Default: the shadow test’s name with " (A/B)"' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  @ApiPropertyOptional({ type: TrafficSplitDto, description: 'The starting split; give this or rollout' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TrafficSplitDto)
  traffic_split?: TrafficSplitDto;

  @ApiPropertyOptional({ type: RolloutDto, description: 'A guarded progressive rollout instead of a fixed split' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RolloutDto)
  rollout?: RolloutDto;
}

export class DisagreementResponse {
  @ApiProperty({ example: '812', description: 'Orders disagreements (newest has the highest)' })
  id: string;

  @ApiProperty({ example: 'safe', description: "a's label (the answer served)" })
  label_a: string;

  @ApiProperty({ example: 'toxic', description: "b's label" })
  label_b: string;

  @ApiProperty({ example: 0.71, nullable: true, type: Number })
  score_a: number | null;

  @ApiProperty({ example: 0.64, nullable: true, type: Number })
  score_b: number | null;

  @ApiProperty({ example: 'v1.0.0' })
  model_version_a: string;

  @ApiProperty({ example: 'v2.0.0' })
  model_version_b: string;

  @ApiProperty({
    example: 'this is [number] times worse than before',
    nullable: true,
    type: String,
    description: 'The input, redacted (replaced entirely when a model labelled it pii; e-mail addresses and long numbers masked) and truncated to 200 characters',
  })
  input: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class DisagreementPageResponse {
  @ApiProperty({ type: [DisagreementResponse], description: 'Newest first; at most the latest 1,000 are kept per test' })
  items: DisagreementResponse[];

  @ApiProperty({ example: 12 })
  total: number;

  @ApiProperty({ example: 50 })
  limit: number;

  @ApiProperty({ example: 0 })
  offset: number;
}

export function toDisagreementResponse(row: DisagreementRow): DisagreementResponse {
  return {
    id: row.id,
    label_a: row.label_a,
    label_b: row.label_b,
    score_a: row.score_a,
    score_b: row.score_b,
    model_version_a: row.version_a,
    model_version_b: row.version_b,
    input: row.input,
    created_at: new Date(row.created_at).toISOString(),
  };
}
