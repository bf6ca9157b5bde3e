import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
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

/** A name missing from the cached list of registered model types is looked up again at most this often. */
export const MODEL_TYPE_RECHECK_MS = 1000;
/** Single-name existence checks for names missing from the cached list, per second and instance. */
export const MODEL_TYPE_MISS_CHECKS_PER_SECOND = 10;

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
export class ModelRegistryService implements OnModuleInit, OnModuleDestroy {
  /** Names of the registered model types (they are never deleted, so a name once seen stays true). */
  private registered: Set<string> | null = null;
  private registeredReadAt = -Infinity;
  /** Set by a change-feed notice about a name not in the list: the next miss re-reads at once. */
  private registeredStale = false;
  private readingRegistered: Promise<Set<string>> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly changes: ChangeFeed,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.changes.subscribe((change) => {
      const unseen = change.topic === MODEL_VERSIONS_TOPIC && change.key !== undefined && !this.registered?.has(change.key);
      if (change.topic === '*' || unseen) this.registeredStale = true;
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  // ---- model types -------------------------------------------------------------------------

  async createModelType(input: CreateModelTypeInput): Promise<ModelTypeRecord> {
    const repository = this.dataSource.getRepository(ModelEntity);
    // Checked first so the usual duplicate is not logged as a failed query; the unique key still
    // decides a race.
    if (await repository.existsBy({ name: input.name })) throw new DuplicateModelTypeError(input.name);
    try {
      // insert, not save: save() would silently update an existing model type of the same name.
      await repository.insert({ name: input.name, task: input.task, description: input.description ?? null, labels: input.labels ?? [] });
      this.registered?.add(input.name);
      // Other instances learn the name at once instead of after their next re-read.
      await this.changes.publish({ topic: MODEL_VERSIONS_TOPIC, key: input.name });
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

  /** Every registered model type name, sorted (for "did you mean …?" answers). */
  async listModelTypeNames(): Promise<string[]> {
    const rows = await this.dataSource.getRepository(ModelEntity).find({ select: { name: true }, order: { name: 'ASC' } });
    return rows.map((row) => row.name);
  }

  /** Every version of a model type that is not archived, sorted by spelling (for "did you mean …?" answers). */
  async listUsableVersionNames(modelType: string, manager?: EntityManager): Promise<string[]> {
    const rows = await (manager ?? this.dataSource.manager)
      .getRepository(ModelVersionEntity)
      .find({ select: { version: true, stage: true }, where: { modelType }, order: { version: 'ASC' } });
    return rows.filter((row) => row.stage !== 'archived').map((row) => row.version);
  }

  async modelTypeExists(modelType: string): Promise<boolean> {
    return this.dataSource.getRepository(ModelEntity).existsBy({ name: modelType });
  }

  /**
   * Whether `name` is a registered model type, from a cached list of names: a hit costs a Set
   * lookup, and a miss re-reads the list at most once per MODEL_TYPE_RECHECK_MS (at once after a
   * change-feed notice names an unknown type), so callers that send made-up names — every user
   * token can — cost the database one small query a second at most, however many names they try.
   */
  async isRegisteredModelType(name: string): Promise<boolean> {
    if (this.registered?.has(name)) return true;
    const listIsCurrent = this.registered && !this.registeredStale && performance.now() - this.registeredReadAt < MODEL_TYPE_RECHECK_MS;
    if (!listIsCurrent && (await this.readRegisteredModelTypes()).has(name)) return true;
    // A type registered on another instance moments ago may be missing from the list (its NOTIFY
    // still in flight, or a list read that began before its commit): ask for the one name, within
    // a small budget per second, so made-up names cannot load the database.
    // Concurrent misses for one name share one check.
    const inFlight = this.missChecksInFlight.get(name);
    if (inFlight) return inFlight;
    if (!this.takeMissCheck()) return false;
    const check = this.modelTypeExists(name)
      .then((exists) => {
        if (exists) this.registered?.add(name);
        return exists;
      })
      .finally(() => this.missChecksInFlight.delete(name));
    this.missChecksInFlight.set(name, check);
    return check;
  }

  private readonly missChecksInFlight = new Map<string, Promise<boolean>>();

  private missChecks = { windowStart: 0, used: 0 };

  private takeMissCheck(): boolean {
    const now = performance.now();
    if (now - this.missChecks.windowStart >= 1000) this.missChecks = { windowStart: now, used: 0 };
    if (this.missChecks.used >= MODEL_TYPE_MISS_CHECKS_PER_SECOND) return false;
    this.missChecks.used += 1;
    return true;
  }

  private readRegisteredModelTypes(): Promise<Set<string>> {
    this.readingRegistered ??= (async () => {
      const started = performance.now();
      this.registeredStale = false;
      const rows = await this.dataSource.getRepository(ModelEntity).find({ select: { name: true } });
      const names = new Set(rows.map((row) => row.name));
      this.registered = names;
      this.registeredReadAt = started;
      return names;
    })().finally(() => {
      this.readingRegistered = null;
    });
    return this.readingRegistered;
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
      // The bytes are stored before the row (in a transaction of their own, deduplicated by sha256):
      // if the row then fails, the artifact stays unreferenced and the retention job deletes it.
      await artifact.commit();

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
