import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../../common/pagination/page.query.js';
import type { Page } from '../../../common/pagination/page.js';
import type { ModelVersionRecord } from '../model-version-records.js';
import type { StageChangeRecord } from '../model-stages.service.js';
import { STAGES, type Stage } from '../stage-rules.js';

/** src/app.ts API_PREFIX (not imported: app.ts imports every module). */
const API_PREFIX_PATH = '/api/v1';

const EXAMPLE_METADATA = {
  model_type: 'safety_classifier',
  version: 'v2.0.0',
  task: 'text-classification',
  labels: ['safe', 'toxic', 'self_harm', 'pii'],
  featurizer: {
    type: 'hashed_ngrams',
    dimension: 16384,
    lowercase: true,
    word_ngrams: [1, 2],
    char_ngrams: [3, 5],
    sublinear_tf: true,
    normalize: 'l2',
    sign_hash: true,
    normalize_digits: true,
  },
  input_name: 'features',
  output_name: 'probabilities',
  metrics: { heldout_accuracy: 0.9225806451612903, heldout_macro_f1: 0.9226923076923077, train_size: 618, heldout_size: 155 },
};

/** Metadata of a version: what the runtime reads to serve it; any other keys are kept as given. */
export class ModelMetadata {
  @ApiPropertyOptional({ type: [String], example: EXAMPLE_METADATA.labels, description: 'Class labels in the order of the model output' })
  labels?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: EXAMPLE_METADATA.featurizer,
    description: 'How text becomes the input tensor (`type: hashed_ngrams`, `dimension`, n-gram ranges; see models/README.md)',
  })
  featurizer?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'features', description: 'Name of the model input' })
  input_name?: string;

  @ApiPropertyOptional({ example: 'probabilities', description: 'Name of the model output' })
  output_name?: string;

  @ApiPropertyOptional({ example: 'text-classification' })
  task?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: EXAMPLE_METADATA.metrics, description: 'Training provenance, kept as given' })
  metrics?: Record<string, unknown>;
}

/** The multipart form of a version upload (documentation only: the controller reads the stream itself). */
export class RegisterVersionForm {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The model artifact (an ONNX file). Streamed to the artifact store; at most MAX_UPLOAD_BYTES (default 200 MiB)' })
  file: unknown;

  @ApiProperty({ example: 'v2.0.0', description: 'Semantic version, optionally with a leading v (`v2.0.0`, `1.4.0-rc.1`); stored with the v' })
  version: string;

  @ApiPropertyOptional({ enum: ['onnx'], default: 'onnx' })
  format?: string;

  @ApiPropertyOptional({
    description:
      'JSON object (a text field, or a file part) the runtime needs to serve the version: `labels` (output order), `featurizer`, `input_name`, `output_name`; other keys (metrics, training) are kept. ' +
      'The artifact is loaded with it and one probe inference is run: a disagreement is 422. Without metadata the version is stored but `loadModel` cannot serve it.',
    example: JSON.stringify(EXAMPLE_METADATA),
  })
  metadata?: string;

  @ApiPropertyOptional({ enum: STAGES, default: 'none', description: 'Initial stage; production archives the current production version' })
  stage?: Stage;
}

export class ListVersionsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: STAGES, description: 'Only versions in this stage' })
  @IsOptional()
  @IsIn(STAGES)
  stage?: Stage;
}

export class PromoteVersionRequest {
  @ApiProperty({ enum: STAGES, example: 'production', description: 'Promoting to production moves the current production version to archived' })
  @IsIn(STAGES, { message: `stage must be one of ${STAGES.join(', ')}` })
  stage: Stage;

  @ApiPropertyOptional({ example: 'won A/B test 3f0c…: +4.1% accuracy', description: 'Kept in the stage history' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ModelVersionResponse {
  @ApiProperty({ example: '0b5f8f5e-8d0a-4c59-9f3e-2d6f0f1c7a11', format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'safety_classifier' })
  model_type: string;

  @ApiProperty({ example: 'v2.0.0' })
  version: string;

  @ApiProperty({ example: 'onnx' })
  format: string;

  @ApiProperty({ enum: STAGES, example: 'none' })
  stage: Stage;

  @ApiProperty({ example: 'd86c410a0add30ab58436d293006041453a77db2743cbf122549bf5f95b24ece', description: 'Hex sha256 of the artifact' })
  sha256: string;

  @ApiProperty({ example: 262723 })
  size_bytes: number;

  @ApiProperty({ type: ModelMetadata, description: 'As registered ({} without metadata): the keys the runtime reads, plus any others given' })
  metadata: Record<string, unknown>;

  @ApiProperty({ example: 'admin', description: 'The token subject that registered it' })
  created_by: string;

  @ApiProperty({ example: '2026-11-27T09:30:00.000Z' })
  created_at: string;

  @ApiProperty({ example: '2026-11-27T09:30:00.000Z', description: 'Last stage change' })
  updated_at: string;

  @ApiProperty({ example: '/api/v1/models/safety_classifier/versions/v2.0.0/artifact', description: 'Download path of the artifact' })
  artifact_url: string;
}

export class ModelVersionPageResponse {
  @ApiProperty({ type: [ModelVersionResponse], description: 'Newest first' })
  items: ModelVersionResponse[];

  @ApiProperty({ example: 2, description: 'Matching versions in all pages' })
  total: number;

  @ApiProperty({ example: 50 })
  limit: number;

  @ApiProperty({ example: 0 })
  offset: number;
}

export class StageChangeResponse {
  @ApiProperty({ example: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'safety_classifier' })
  model_type: string;

  @ApiProperty({ example: 'v1.0.0' })
  version: string;

  @ApiProperty({ enum: STAGES, example: 'production' })
  from_stage: Stage;

  @ApiProperty({ enum: STAGES, example: 'archived' })
  to_stage: Stage;

  @ApiProperty({ example: 'admin', description: 'The token subject that made the change (`system` for the example models)' })
  changed_by: string;

  @ApiProperty({ example: 'replaced in production by v2.0.0', nullable: true, type: String })
  reason: string | null;

  @ApiProperty({ example: '2026-11-27T10:02:11.000Z' })
  changed_at: string;
}

export function artifactPath(modelType: string, version: string): string {
  return `${API_PREFIX_PATH}/models/${encodeURIComponent(modelType)}/versions/${encodeURIComponent(version)}/artifact`;
}

export function toModelVersionResponse(record: ModelVersionRecord): ModelVersionResponse {
  return {
    id: record.id,
    model_type: record.modelType,
    version: record.version,
    format: record.format,
    stage: record.stage,
    sha256: record.sha256,
    size_bytes: record.sizeBytes,
    metadata: record.metadata,
    created_by: record.createdBy,
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
    artifact_url: artifactPath(record.modelType, record.version),
  };
}

export function toModelVersionPageResponse(page: Page<ModelVersionRecord>): ModelVersionPageResponse {
  return { items: page.items.map(toModelVersionResponse), total: page.total, limit: page.limit, offset: page.offset };
}

export function toStageChangeResponse(record: StageChangeRecord): StageChangeResponse {
  return {
    id: record.id,
    model_type: record.modelType,
    version: record.version,
    from_stage: record.fromStage,
    to_stage: record.toStage,
    changed_by: record.changedBy,
    reason: record.reason,
    changed_at: record.changedAt.toISOString(),
  };
}
