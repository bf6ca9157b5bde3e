import type { ModelVersionEntity } from './model-version.entity.js';
import type { Stage } from './stage-rules.js';

/** What other modules need to know about a model version. */
export interface ModelVersionInfo {
  id: string;
  modelType: string;
  version: string;
  stage: Stage;
  format: string;
  sha256: string;
  metadata: Record<string, unknown>;
}

/** A model version with everything the registry keeps about it (what the HTTP API shows). */
export interface ModelVersionRecord extends ModelVersionInfo {
  sizeBytes: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export function toModelVersionRecord(entity: ModelVersionEntity): ModelVersionRecord {
  return {
    id: entity.id,
    modelType: entity.modelType,
    version: entity.version,
    stage: entity.stage,
    format: entity.format,
    sha256: entity.sha256,
    metadata: entity.metadata,
    sizeBytes: entity.sizeBytes,
    createdBy: entity.createdBy,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
  };
}
