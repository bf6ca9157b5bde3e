import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { AB_TEST_MODES, type AbTestMode } from '../entities/ab-test.entity.js';
import { RolloutDto } from './rollout.dto.js';
import { MAX_VERSION_LENGTH, SEMVER_PATTERN } from '../../model-registry/semver.js';
import { TrafficSplitDto } from './traffic-split.dto.js';

export const MODEL_TYPE_PATTERN = /^[a-z][a-z0-9_]{1,62}$/;
export const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

export class CriteriaDto {
  @ApiPropertyOptional({ example: 10000, minimum: 1, description: 'Requests each variant needs before a decision' })
  @IsOptional()
  @IsInt()
  @Min(1)
  min_requests?: number;

  @ApiPropertyOptional({ example: 0.01, minimum: 0, maximum: 1, description: "Highest acceptable error rate of b (a guardrail)" })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  max_error_rate?: number;

  @ApiPropertyOptional({ example: 200, description: 'Highest acceptable p95 latency of b in ms, greater than 0 (a guardrail)' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(Number.MIN_VALUE, { message: 'max_latency_ms must be greater than 0' })
  max_latency_ms?: number;

  @ApiPropertyOptional({ example: 0.05, minimum: 0, description: "b's smallest relative improvement on the primary metric worth shipping (0.05 = 5%)" })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  min_improvement?: number;

  @ApiPropertyOptional({
    example: 0.9,
    minimum: 0,
    maximum: 1,
    description: 'Shadow tests only: the least share of compared requests on which b must give the same label as a to be ready_for_ab',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  min_agreement?: number;
}

export class MetricDefinitionDto {
  @ApiProperty({ example: 'accuracy', pattern: METRIC_NAME_PATTERN.source, description: 'Custom metric name (reported as custom:<name>)' })
  @IsString()
  @Matches(METRIC_NAME_PATTERN, { message: 'name must be lower_snake_case: a letter, then letters, digits or _ (at most 63)' })
  name: string;

  @ApiPropertyOptional({ example: true, default: true })
  @IsOptional()
  @IsBoolean()
  higher_is_better?: boolean;
}

export class CreateAbTestDto {
  @ApiProperty({ example: 'Safety Classifier v2 Test', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;

  @ApiPropertyOptional({ example: 'Does the larger featurizer cut false positives without slowing replies?', maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ example: 'safety_classifier', pattern: MODEL_TYPE_PATTERN.source })
  @IsString()
  @Matches(MODEL_TYPE_PATTERN, { message: 'model_type must be a registered model type name (lower_snake_case)' })
  model_type: string;

  @ApiProperty({
    example: 'v1.0.0',
    maxLength: MAX_VERSION_LENGTH,
    description: 'Model version served to variant a (control): a registered, not archived semantic version (`v` optional)',
  })
  @IsString()
  @Length(1, MAX_VERSION_LENGTH)
  @Matches(SEMVER_PATTERN, { message: (args) => `variant_a: ${JSON.stringify(args.value)} is not a semantic version (e.g. v2.0.0 or 1.4.0-rc.1)` })
  variant_a: string;

  @ApiProperty({
    example: 'v2.0.0',
    maxLength: MAX_VERSION_LENGTH,
    description: 'Model version served to variant b (treatment): a registered, not archived semantic version (`v` optional)',
  })
  @IsString()
  @Length(1, MAX_VERSION_LENGTH)
  @Matches(SEMVER_PATTERN, { message: (args) => `variant_b: ${JSON.stringify(args.value)} is not a semantic version (e.g. v2.0.0 or 1.4.0-rc.1)` })
  variant_b: string;

  @ApiPropertyOptional({
    type: TrafficSplitDto,
    description:
      'Required for an A/B test without a rollout. A shadow test accepts and ignores it (its split is {a: 1, b: 0}); ' +
      'a rollout sets it to steps[0].',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TrafficSplitDto)
  traffic_split?: TrafficSplitDto;

  @ApiPropertyOptional({
    enum: AB_TEST_MODES,
    description: 'Default `ab`. `ab`: users are split between a and b. `shadow`: everyone is served a; b runs on a sampled share of the same inputs after the response, never served.',
  })
  @IsOptional()
  @IsIn(AB_TEST_MODES)
  mode?: AbTestMode;

  @ApiPropertyOptional({ example: 1, exclusiveMinimum: true, minimum: 0, maximum: 1, description: 'Shadow tests only: the share of requests b also runs on (default 1)' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(Number.MIN_VALUE, { message: 'shadow_sample_rate must be greater than 0' })
  @Max(1)
  shadow_sample_rate?: number;

  @ApiPropertyOptional({ type: RolloutDto, description: 'A/B tests only: ramp b automatically through steps while the guardrails hold' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RolloutDto)
  rollout?: RolloutDto;

  @ApiPropertyOptional({ type: CriteriaDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CriteriaDto)
  criteria?: CriteriaDto;

  @ApiPropertyOptional({
    maxLength: 200,
    description: 'Seed of the assignment hash (GrowthBook hash v2); default: the test id. Reuse a seed to reproduce another test’s buckets.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  hash_seed?: string;

  @ApiPropertyOptional({ type: [MetricDefinitionDto], maxItems: 20, description: 'Custom metrics the test declares (stored as metric_definitions)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => MetricDefinitionDto)
  metrics?: MetricDefinitionDto[];

  @ApiPropertyOptional({ example: false, default: false, description: 'Pause the test automatically when a guardrail is breached' })
  @IsOptional()
  @IsBoolean()
  auto_pause?: boolean;
}
