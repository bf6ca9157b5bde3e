import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { Page } from '../../common/pagination/page.js';
import type { Tx } from '../../database/transactions.js';
import { ARTIFACT_STORE, ArtifactIntegrityError, ArtifactNotFoundError, type ArtifactStore, type StagedArtifact } from './artifact-store.js';
import { findArtifactProblem, isSupportedFormat, SUPPORTED_FORMATS } from './artifact-validator.js';
import { toModelVersionRecord, type ModelVersionRecord } from './model-version-records.js';
import { ModelTypeRepository } from './model-type.repository.js';
import { ModelVersionRepository } from './model-version.repository.js';
import { ModelRegistryError } from './model-registry.errors.js';
import { ModelStagesService } from './model-stages.service.js';
import { requireModelType, requireVersion } from './registry-lookups.js';
import { parseModelMetadata, type ModelMetadata } from './runtime/onnx-classifier.js';
import { canonicalVersion, MAX_REGISTERED_VERSION_LENGTH } from './semver.js';
import { isStage, STAGES, type Stage } from './stage-rules.js';

/** The fields of a version registration, as sent (validated by `registerVersion`). */
export interface RegisterVersionInput {
  version: unknown;
  format?: unknown;
  /** Parsed JSON; absent when the version declares no runtime metadata. */
  metadata?: unknown;
  stage?: unknown;
}

export interface VersionListQuery {
  stage?: Stage;
  limit: number;
  offset: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Model versions: registering one (its artifact and metadata, immutable once stored), reading
 * them, and streaming their artifacts. Stage changes go through ModelStagesService.
 */
@Injectable()
export class ModelVersionsService {
  constructor(
    private readonly types: ModelTypeRepository,
    private readonly versions: ModelVersionRepository,
    private readonly stages: ModelStagesService,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  /**
   * Registers a version from a staged artifact. Everything is checked before anything is kept:
   * the fields (400), the model type (404), the version being new (409) and the artifact loading
   * with its metadata (422). The row, its initial stage and the artifact are then committed
   * together; on any failure the staged bytes are discarded, so nothing is left behind.
   */
  async registerVersion(modelType: string, input: RegisterVersionInput, artifact: StagedArtifact, actor: string): Promise<ModelVersionRecord> {
    try {
      const version = typeof input.version === 'string' ? canonicalVersion(input.version) : null;
      if (!version) throw ModelRegistryError.invalidVersion(input.version);
      if (version.length > MAX_REGISTERED_VERSION_LENGTH) {
        throw ModelRegistryError.invalidVersion(version, `must be at most ${MAX_REGISTERED_VERSION_LENGTH} characters (with its v); it is stored with every prediction`);
      }
      const format = input.format === undefined || input.format === '' ? 'onnx' : String(input.format);
      if (!isSupportedFormat(format)) throw ModelRegistryError.unsupportedFormat(format, SUPPORTED_FORMATS);
      const stage = input.stage === undefined || input.stage === '' ? 'none' : input.stage;
      if (!isStage(stage)) throw ModelRegistryError.invalidStage(stage, STAGES);
      const metadata = this.parseMetadata(modelType, input.metadata);

      await requireModelType(this.types, modelType);
      if (await this.versions.exists(modelType, version)) {
        throw ModelRegistryError.duplicateVersion(modelType, version);
      }
      const problem = await findArtifactProblem(await artifact.readBytes(), format, metadata);
      if (problem) throw ModelRegistryError.invalidArtifact(problem);
      // The bytes are stored before the row (in a transaction of their own, deduplicated by sha256):
      // if the row then fails, the artifact stays unreferenced and the retention job deletes it.
      await artifact.commit();

      return await this.stages.addVersion(
        {
          modelType,
          version,
          format,
          artifactUri: this.store.uriFor(artifact.sha256),
          sha256: artifact.sha256,
          sizeBytes: artifact.sizeBytes,
          metadata: metadata ?? {},
          createdBy: actor,
        },
        stage,
        actor,
      );
    } finally {
      await artifact.discard();
    }
  }

  async listVersions(modelType: string, query: VersionListQuery): Promise<Page<ModelVersionRecord>> {
    await requireModelType(this.types, modelType);
    const { items, total } = await this.versions.list(modelType, query);
    return { items: items.map(toModelVersionRecord), total, limit: query.limit, offset: query.offset };
  }

  async getVersion(modelType: string, version: string): Promise<ModelVersionRecord> {
    return toModelVersionRecord(await requireVersion({ types: this.types, versions: this.versions }, modelType, version));
  }

  /** The version, or null when the model type or the version does not exist (any spelling: `2.0.0` = `v2.0.0`). */
  /** Pass the caller's transaction `tx` to read on its connection (never take a second one while holding a lock). */
  async findVersion(modelType: string, version: string, tx?: Tx): Promise<ModelVersionRecord | null> {
    const canonical = canonicalVersion(version);
    if (!canonical) return null;
    const found = await this.versions.find(modelType, canonical, tx);
    return found ? toModelVersionRecord(found) : null;
  }

  async getProductionVersion(modelType: string): Promise<ModelVersionRecord | null> {
    const found = await this.versions.findProduction(modelType);
    return found ? toModelVersionRecord(found) : null;
  }

  /** Every version of a model type that is not archived, sorted by spelling (for "did you mean …?" answers). */
  async listUsableVersionNames(modelType: string, tx?: Tx): Promise<string[]> {
    const rows = await this.versions.listStages(modelType, tx);
    return rows.filter((row) => row.stage !== 'archived').map((row) => row.version);
  }

  /** A stream of the version's artifact that fails at its end if the bytes do not match the sha256. */
  async openArtifact(modelType: string, version: string): Promise<{ version: ModelVersionRecord; sizeBytes: number; stream: Readable }> {
    const record = await this.getVersion(modelType, version);
    try {
      const { sizeBytes, stream } = await this.store.openReadStream(record.sha256);
      if (sizeBytes !== record.sizeBytes) {
        stream.destroy();
        throw new ArtifactIntegrityError(record.sha256, `a file of ${sizeBytes} bytes instead of ${record.sizeBytes}`);
      }
      return { version: record, sizeBytes, stream };
    } catch (error) {
      if (error instanceof ArtifactNotFoundError) throw ModelRegistryError.unavailable(modelType, record.version, 'its artifact is missing from the artifact store');
      if (error instanceof ArtifactIntegrityError) throw ModelRegistryError.unavailable(modelType, record.version, 'its artifact is corrupt (sha256 mismatch)');
      throw error;
    }
  }

  private parseMetadata(modelType: string, raw: unknown): ModelMetadata | null {
    if (raw === undefined || raw === null) return null;
    if (!isPlainObject(raw)) throw ModelRegistryError.invalidMetadata('it must be a JSON object');
    let metadata: ModelMetadata;
    try {
      metadata = parseModelMetadata(raw);
    } catch (error) {
      throw ModelRegistryError.invalidMetadata((error as Error).message);
    }
    if (metadata.model_type !== undefined && metadata.model_type !== modelType) {
      throw ModelRegistryError.invalidMetadata(`it describes a ${metadata.model_type} model, not ${modelType}`);
    }
    return metadata;
  }
}
