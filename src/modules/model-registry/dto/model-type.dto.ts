import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import type { ModelTypeRecord } from '../model-types.service.js';

export const MODEL_TYPE_NAME = /^[a-z][a-z0-9_]{1,62}$/;

export class CreateModelTypeRequest {
  @ApiProperty({ example: 'safety_classifier', pattern: MODEL_TYPE_NAME.source, description: 'Slug: lowercase letter, then lowercase letters, digits or _ (2–63 characters)' })
  @IsString()
  @Matches(MODEL_TYPE_NAME, { message: 'name must be a slug: a lowercase letter, then 1 to 62 lowercase letters, digits or _' })
  name: string;

  @ApiProperty({ example: 'text-classification', description: 'What the model does' })
  @IsString()
  @Length(1, 100)
  task: string;

  @ApiPropertyOptional({ example: 'Flags chat messages that are toxic, express self-harm, or contain personal data.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ example: ['safe', 'toxic', 'self_harm', 'pii'], type: [String], description: 'The classes its versions predict' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  labels?: string[];
}

export class ModelTypeResponse {
  @ApiProperty({ example: 'safety_classifier' })
  name: string;

  @ApiProperty({ example: 'text-classification' })
  task: string;

  @ApiProperty({ example: 'Flags chat messages that are toxic, express self-harm, or contain personal data (safe, toxic, self_harm, pii).', nullable: true, type: String })
  description: string | null;

  @ApiProperty({ example: ['safe', 'toxic', 'self_harm', 'pii'], type: [String] })
  labels: string[];

  @ApiProperty({ example: 'v1.0.0', nullable: true, type: String, description: 'The version in production, null when none is' })
  production_version: string | null;

  @ApiProperty({ example: '2026-11-27T09:30:00.000Z' })
  created_at: string;
}

export function toModelTypeResponse(record: ModelTypeRecord): ModelTypeResponse {
  return {
    name: record.name,
    task: record.task,
    description: record.description,
    labels: record.labels,
    production_version: record.productionVersion,
    created_at: record.createdAt.toISOString(),
  };
}
