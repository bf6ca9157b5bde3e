import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { ChangeFeed } from '../../database/change-feed.service.js';
import { ARTIFACT_STORE, ArtifactIntegrityError, ArtifactNotFoundError, type ArtifactStore, type StagedArtifact } from './artifact-store.js';
import { findArtifactProblem, isSupportedFormat, SUPPORTED_FORMATS } from './artifact-validator.js';
import { ModelEntity } from './model.entity.js';
import { ModelVersionEntity } from './model-version.entity.js';
import { ModelVersionStageChangeEntity } from './model-version-stage-change.entity.js';
import {
  DuplicateModelTypeError,
  DuplicateModelVersionError,
  InvalidArtifactError,
  InvalidMetadataError,
  InvalidStageError,
  InvalidVersionError,
  ModelTypeNotFoundError,
  ModelUnavailableError,
  ModelVersionNotFoundError,
  UnsupportedFormatError,
} from './model-registry.errors.js';
import { parseModelMetadata, type ModelMetadata } from './runtime/onnx-classifier.js';
import { canonicalVersion, MAX_REGISTERED_VERSION_LENGTH } from './semver.js';
import { isStage, planStageChange, STAGES, type Stage } from './stage-rules.js';

/** What other modules need to know about a model version. */
export interface ModelVersionInfo {
  id: string;
  modelType: string;
  version: string;
  stage: 'none' | 'staging' | 'production' | 'archived';
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

export interface ModelTypeRecord {
  name: string;
  task: string;
  description: string | null;
  labels: string[];
  createdAt: Date;
  /** The version in production, or null when the model type has none. */
  productionVersion: string | null;
}

export interface StageChangeRecord {
  id: string;
  modelType: string;
  version: string;
  fromStage: Stage;
  toStage: Stage;
  changedBy: string;
  reason: string | null;
  changedAt: Date;
}

export interface CreateModelTypeInput {
  name: string;
  task: string;
  description?: string | null;
  labels?: string[];
}

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

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** The topic on the change feed when a model type's versions or stages change (key: the model type). */
export const MODEL_VERSIONS_TOPIC = 'model_versions';

const UNIQUE_VIOLATION = '23505';

function uniqueViolation(error: unknown): string | null {
  if (!(error instanceof QueryFailedError)) return null;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === UNIQUE_VIOLATION ? (driverError.constraint ?? '') : null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

/**
 * The model registry: model types, their immutable versions (artifact + metadata) and stages.
 * At most one version of a model type is in production; every stage change is recorded and
 * announced on the change feed (topic `model_versions`, key = model type) at commit.
 */
@Injectable()
export class ModelRegistryService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly changes: ChangeFeed,
  ) {}

  // ---- model types -------------------------------------------------------------------------

  async createModelType(input: CreateModelTypeInput): Promise<ModelTypeRecord> {
    const repository = this.dataSource.getRepository(ModelEntity);
    // Checked first so the usual duplicate is not logged as a failed query; the unique key still
    // decides a race.
    if (await repository.existsBy({ name: input.name })) throw new DuplicateModelTypeError(input.name);
    try {
      // insert, not save: save() would silently update an existing model type of the same name.
      await repository.insert({ name: input.name, task: input.task, description: input.description ?? null, labels: input.labels ?? [] });
      return { ...this.toModelTypeFields(await repository.findOneByOrFail({ name: input.name })), productionVersion: null };
    } catch (error) {
      if (uniqueViolation(error) !== null) throw new DuplicateModelTypeError(input.name);
      throw error;
    }
  }

  async listModelTypes(): Promise<ModelTypeRecord[]> {
    return this.queryModelTypes(null);
  }

  async getModelType(name: string): Promise<ModelTypeRecord> {
    const [found] = await this.queryModelTypes(name);
    if (!found) throw new ModelTypeNotFoundError(name);
    return found;
  }

  async modelTypeExists(modelType: string): Promise<boolean> {
    return this.dataSource.getRepository(ModelEntity).existsBy({ name: modelType });
  }

  /** Throws MODEL_TYPE_NOT_FOUND; lets an upload be refused before its body is read. */
  async requireModelType(modelType: string): Promise<void> {
    if (!(await this.modelTypeExists(modelType))) throw new ModelTypeNotFoundError(modelType);
  }

  // ---- versions ----------------------------------------------------------------------------

  /**
   * Registers a version from a staged artifact. Everything is checked before anything is kept:
   * the fields (400), the model type (404), the version being new (409) and the artifact loading
   * with its metadata (422). The row, its initial stage and the artifact are then committed
   * together; on any failure the staged bytes are discarded, so nothing is left behind.
   */
  async registerVersion(modelType: string, input: RegisterVersionInput, artifact: StagedArtifact, actor: string): Promise<ModelVersionRecord> {
    try {
      const version = typeof input.version === 'string' ? canonicalVersion(input.version) : null;
      if (!version) throw new InvalidVersionError(input.version);
      if (version.length > MAX_REGISTERED_VERSION_LENGTH) {
        throw new InvalidVersionError(version, `must be at most ${MAX_REGISTERED_VERSION_LENGTH} characters (with its v); it is stored with every prediction`);
      }
      const format = input.format === undefined || input.format === '' ? 'onnx' : String(input.format);
      if (!isSupportedFormat(format)) throw new UnsupportedFormatError(format, SUPPORTED_FORMATS);
      const stage = input.stage === undefined || input.stage === '' ? 'none' : input.stage;
      if (!isStage(stage)) throw new InvalidStageError(stage, STAGES);
      const metadata = this.parseMetadata(modelType, input.metadata);

      await this.requireModelType(modelType);
      if (await this.dataSource.getRepository(ModelVersionEntity).existsBy({ modelType, version })) {
        throw new DuplicateModelVersionError(modelType, version);
      }
      const problem = await findArtifactProblem(await artifact.readBytes(), format, metadata);
      if (problem) throw new InvalidArtifactError(problem);

      return await this.dataSource.transaction(async (manager) => {
        if (stage !== 'none') await this.lockModelType(manager, modelType);
        const repository = manager.getRepository(ModelVersionEntity);
        try {
          // The id is generated, so save() inserts (no lookup first).
          await repository.save(
            repository.create({
              modelType,
              version,
              format,
              artifactUri: this.store.uriFor(artifact.sha256),
              sha256: artifact.sha256,
              sizeBytes: artifact.sizeBytes,
              metadata: metadata ?? {},
              stage: 'none',
              createdBy: actor,
            }),
          );
        } catch (error) {
          if (uniqueViolation(error) !== null) throw new DuplicateModelVersionError(modelType, version);
          throw error;
        }
        if (stage === 'none') {
          await this.changes.publish({ topic: MODEL_VERSIONS_TOPIC, key: modelType }, manager);
        } else {
          await this.changeStage(manager, modelType, version, stage, actor, null);
        }
        // Last step before COMMIT: if it fails the row is rolled back; if COMMIT then fails, an
        // unreferenced file stays in the store (harmless, content-addressed).
        await artifact.commit();
        return toModelVersionRecord(await repository.findOneByOrFail({ modelType, version }));
      });
    } finally {
      await artifact.discard();
    }
  }

  async listVersions(modelType: string, query: VersionListQuery): Promise<Page<ModelVersionRecord>> {
    await this.requireModelType(modelType);
    const [rows, total] = await this.dataSource.getRepository(ModelVersionEntity).findAndCount({
      where: { modelType, ...(query.stage ? { stage: query.stage } : {}) },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: query.limit,
      skip: query.offset,
    });
    return { items: rows.map(toModelVersionRecord), total, limit: query.limit, offset: query.offset };
  }

  async getVersion(modelType: string, version: string): Promise<ModelVersionRecord> {
    return toModelVersionRecord(await this.requireVersion(this.dataSource.manager, modelType, version));
  }

  /** The version, or null when the model type or the version does not exist (any spelling: `2.0.0` = `v2.0.0`). */
  /** Pass the caller's transaction `manager` to read on its connection (never take a second one while holding a lock). */
  async findVersion(modelType: string, version: string, manager?: EntityManager): Promise<ModelVersionRecord | null> {
    const canonical = canonicalVersion(version);
    if (!canonical) return null;
    const found = await (manager ?? this.dataSource.manager).getRepository(ModelVersionEntity).findOneBy({ modelType, version: canonical });
    return found ? toModelVersionRecord(found) : null;
  }

  async getProductionVersion(modelType: string): Promise<ModelVersionRecord | null> {
    const found = await this.dataSource.getRepository(ModelVersionEntity).findOneBy({ modelType, stage: 'production' });
    return found ? toModelVersionRecord(found) : null;
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
      if (error instanceof ArtifactNotFoundError) throw new ModelUnavailableError(modelType, record.version, 'its artifact is missing from the artifact store');
      if (error instanceof ArtifactIntegrityError) throw new ModelUnavailableError(modelType, record.version, 'its artifact is corrupt (sha256 mismatch)');
      throw error;
    }
  }

  // ---- stages ------------------------------------------------------------------------------

  /**
   * Moves a version to `stage`. Promoting to production archives the previous production version
   * in the same transaction. Idempotent: a version already in `stage` is returned unchanged and
   * nothing is recorded. Runs in the caller's transaction when `manager` is given (A/B test
   * completion with promote); the change-feed notification is then sent at the caller's commit.
   */
  async promoteVersion(
    modelType: string,
    version: string,
    stage: 'none' | 'staging' | 'production' | 'archived',
    actor: string,
    manager?: EntityManager,
    reason?: string | null,
  ): Promise<ModelVersionRecord> {
    if (!isStage(stage)) throw new InvalidStageError(stage, STAGES);
    const run = async (m: EntityManager) => toModelVersionRecord(await this.changeStage(m, modelType, version, stage, actor, reason ?? null));
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  async listStageChanges(modelType: string, version: string): Promise<StageChangeRecord[]> {
    const target = await this.requireVersion(this.dataSource.manager, modelType, version);
    const rows = await this.dataSource.getRepository(ModelVersionStageChangeEntity).find({
      where: { modelVersionId: target.id },
      order: { changedAt: 'ASC', id: 'ASC' },
    });
    return rows.map((row) => ({
      id: row.id,
      modelType: target.modelType,
      version: target.version,
      fromStage: row.fromStage,
      toStage: row.toStage,
      changedBy: row.changedBy,
      reason: row.reason,
      changedAt: row.changedAt,
    }));
  }

  // ---- internals ---------------------------------------------------------------------------

  /**
   * Serialises stage changes of one model type (FOR NO KEY UPDATE does not block the foreign-key
   * checks of concurrent version inserts, so two registrations cannot deadlock on it).
   */
  private async lockModelType(manager: EntityManager, modelType: string): Promise<void> {
    const rows: unknown[] = await manager.query('SELECT name FROM models WHERE name = $1 FOR NO KEY UPDATE', [modelType]);
    if (rows.length === 0) throw new ModelTypeNotFoundError(modelType);
  }

  private async changeStage(manager: EntityManager, modelType: string, version: string, stage: Stage, actor: string, reason: string | null): Promise<ModelVersionEntity> {
    await this.lockModelType(manager, modelType);
    const target = await this.requireVersion(manager, modelType, version);
    const repository = manager.getRepository(ModelVersionEntity);
    const currentProduction = stage === 'production' && target.stage !== 'production' ? await repository.findOneBy({ modelType, stage: 'production' }) : null;
    const planned = planStageChange(target, stage, currentProduction);
    if (planned.length === 0) return target;
    const history = manager.getRepository(ModelVersionStageChangeEntity);
    for (const change of planned) {
      await repository.update({ id: change.id }, { stage: change.to });
      await history.insert({
        modelVersionId: change.id,
        fromStage: change.from,
        toStage: change.to,
        changedBy: actor,
        reason: change.id === target.id ? reason : change.reason,
      });
    }
    await this.changes.publish({ topic: MODEL_VERSIONS_TOPIC, key: modelType }, manager);
    return repository.findOneByOrFail({ id: target.id });
  }

  private async requireVersion(manager: EntityManager, modelType: string, version: string): Promise<ModelVersionEntity> {
    const canonical = canonicalVersion(version);
    const found = canonical ? await manager.getRepository(ModelVersionEntity).findOneBy({ modelType, version: canonical }) : null;
    if (found) return found;
    if (!(await manager.getRepository(ModelEntity).existsBy({ name: modelType }))) throw new ModelTypeNotFoundError(modelType);
    throw new ModelVersionNotFoundError(modelType, version);
  }

  private parseMetadata(modelType: string, raw: unknown): ModelMetadata | null {
    if (raw === undefined || raw === null) return null;
    if (!isPlainObject(raw)) throw new InvalidMetadataError('it must be a JSON object');
    let metadata: ModelMetadata;
    try {
      metadata = parseModelMetadata(raw);
    } catch (error) {
      throw new InvalidMetadataError((error as Error).message);
    }
    if (metadata.model_type !== undefined && metadata.model_type !== modelType) {
      throw new InvalidMetadataError(`it describes a ${metadata.model_type} model, not ${modelType}`);
    }
    return metadata;
  }

  private async queryModelTypes(name: string | null): Promise<ModelTypeRecord[]> {
    const query = this.dataSource
      .getRepository(ModelEntity)
      .createQueryBuilder('m')
      .leftJoin(ModelVersionEntity, 'p', `p.model_type = m.name AND p.stage = 'production'`)
      .addSelect('p.version', 'production_version')
      .orderBy('m.name', 'ASC');
    if (name !== null) query.where('m.name = :name', { name });
    const { entities, raw } = await query.getRawAndEntities<{ m_name: string; production_version: string | null }>();
    const production = new Map(raw.map((row) => [row.m_name, row.production_version]));
    return entities.map((entity) => ({ ...this.toModelTypeFields(entity), productionVersion: production.get(entity.name) ?? null }));
  }

  private toModelTypeFields(entity: ModelEntity): Omit<ModelTypeRecord, 'productionVersion'> {
    return { name: entity.name, task: entity.task, description: entity.description, labels: entity.labels, createdAt: entity.createdAt };
  }
}
