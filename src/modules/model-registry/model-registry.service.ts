import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { Page } from '../../common/pagination/page.js';
import { ChangeFeed } from '../../database/change-feed.service.js';
import { Transactions, type Tx } from '../../database/transactions.js';
import { ARTIFACT_STORE, ArtifactIntegrityError, ArtifactNotFoundError, type ArtifactStore, type StagedArtifact } from './artifact-store.js';
import { findArtifactProblem, isSupportedFormat, SUPPORTED_FORMATS } from './artifact-validator.js';
import type { ModelVersionEntity } from './model-version.entity.js';
import { ModelTypeRepository } from './model-type.repository.js';
import { ModelVersionRepository } from './model-version.repository.js';
import { StageChangeRepository } from './model-version-stage-change.repository.js';
import { ModelRegistryError } from './model-registry.errors.js';
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

export interface PromoteVersionOptions {
  modelType: string;
  version: string;
  stage: 'none' | 'staging' | 'production' | 'archived';
  actor: string;
  reason?: string | null;
  /** Run in the caller's transaction (the notification goes out at its commit). */
  tx?: Tx;
}

/** The topic on the change feed when a model type's versions or stages change (key: the model type). */
export const MODEL_VERSIONS_TOPIC = 'model_versions';

/** A name missing from the cached list of registered model types is looked up again at most this often. */
export const MODEL_TYPE_RECHECK_MS = 1000;
/** Single-name existence checks for names missing from the cached list, per second and instance. */
export const MODEL_TYPE_MISS_CHECKS_PER_SECOND = 10;

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
    private readonly transactions: Transactions,
    private readonly types: ModelTypeRepository,
    private readonly versions: ModelVersionRepository,
    private readonly stageChanges: StageChangeRepository,
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
    // Checked first so the usual duplicate is not logged as a failed query; the unique key still
    // decides a race.
    if (await this.types.exists(input.name)) throw ModelRegistryError.duplicateType(input.name);
    if (!(await this.types.insert({ name: input.name, task: input.task, description: input.description ?? null, labels: input.labels ?? [] }))) {
      throw ModelRegistryError.duplicateType(input.name);
    }
    this.registered?.add(input.name);
    // Other instances learn the name at once instead of after their next re-read.
    await this.changes.publish({ topic: MODEL_VERSIONS_TOPIC, key: input.name });
    const [created] = await this.types.list(input.name);
    return created!;
  }

  async listModelTypes(): Promise<ModelTypeRecord[]> {
    return this.types.list();
  }

  async getModelType(name: string): Promise<ModelTypeRecord> {
    const [found] = await this.types.list(name);
    if (!found) throw ModelRegistryError.typeNotFound(name);
    return found;
  }

  /** Every registered model type name, sorted (for "did you mean …?" answers). */
  listModelTypeNames(): Promise<string[]> {
    return this.types.listNames();
  }

  /** Every version of a model type that is not archived, sorted by spelling (for "did you mean …?" answers). */
  async listUsableVersionNames(modelType: string, tx?: Tx): Promise<string[]> {
    const rows = await this.versions.listStages(modelType, tx);
    return rows.filter((row) => row.stage !== 'archived').map((row) => row.version);
  }

  modelTypeExists(modelType: string): Promise<boolean> {
    return this.types.exists(modelType);
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
      const names = new Set(await this.types.listNames());
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
    if (!(await this.modelTypeExists(modelType))) throw ModelRegistryError.typeNotFound(modelType);
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
      if (!version) throw ModelRegistryError.invalidVersion(input.version);
      if (version.length > MAX_REGISTERED_VERSION_LENGTH) {
        throw ModelRegistryError.invalidVersion(version, `must be at most ${MAX_REGISTERED_VERSION_LENGTH} characters (with its v); it is stored with every prediction`);
      }
      const format = input.format === undefined || input.format === '' ? 'onnx' : String(input.format);
      if (!isSupportedFormat(format)) throw ModelRegistryError.unsupportedFormat(format, SUPPORTED_FORMATS);
      const stage = input.stage === undefined || input.stage === '' ? 'none' : input.stage;
      if (!isStage(stage)) throw ModelRegistryError.invalidStage(stage, STAGES);
      const metadata = this.parseMetadata(modelType, input.metadata);

      await this.requireModelType(modelType);
      if (await this.versions.exists(modelType, version)) {
        throw ModelRegistryError.duplicateVersion(modelType, version);
      }
      const problem = await findArtifactProblem(await artifact.readBytes(), format, metadata);
      if (problem) throw ModelRegistryError.invalidArtifact(problem);
      // The bytes are stored before the row (in a transaction of their own, deduplicated by sha256):
      // if the row then fails, the artifact stays unreferenced and the retention job deletes it.
      await artifact.commit();

      return await this.transactions.run(async (tx) => {
        if (stage !== 'none') await this.lockModelType(tx, modelType);
        const stored = await this.versions.insert(tx, {
          modelType,
          version,
          format,
          artifactUri: this.store.uriFor(artifact.sha256),
          sha256: artifact.sha256,
          sizeBytes: artifact.sizeBytes,
          metadata: metadata ?? {},
          stage: 'none',
          createdBy: actor,
        });
        if (stored === null) throw ModelRegistryError.duplicateVersion(modelType, version);
        if (stage === 'none') {
          await this.changes.publish({ topic: MODEL_VERSIONS_TOPIC, key: modelType }, tx);
          return toModelVersionRecord(stored);
        }
        return toModelVersionRecord(await this.changeStage(tx, modelType, version, stage, actor, null));
      });
    } finally {
      await artifact.discard();
    }
  }

  async listVersions(modelType: string, query: VersionListQuery): Promise<Page<ModelVersionRecord>> {
    await this.requireModelType(modelType);
    const { items, total } = await this.versions.list(modelType, query);
    return { items: items.map(toModelVersionRecord), total, limit: query.limit, offset: query.offset };
  }

  async getVersion(modelType: string, version: string): Promise<ModelVersionRecord> {
    return toModelVersionRecord(await this.requireVersion(modelType, version));
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

  // ---- stages ------------------------------------------------------------------------------

  /**
   * Moves a version to `stage`. Promoting to production archives the previous production version
   * in the same transaction. Idempotent: a version already in `stage` is returned unchanged and
   * nothing is recorded. Runs in the caller's transaction when `tx` is given (A/B test
   * completion with promote); the change-feed notification is then sent at the caller's commit.
   */
  async promoteVersion(options: PromoteVersionOptions): Promise<ModelVersionRecord> {
    const { modelType, version, stage, actor, reason, tx } = options;
    if (!isStage(stage)) throw ModelRegistryError.invalidStage(stage, STAGES);
    return this.transactions.run(async (t) => toModelVersionRecord(await this.changeStage(t, modelType, version, stage, actor, reason ?? null)), tx);
  }

  async listStageChanges(modelType: string, version: string): Promise<StageChangeRecord[]> {
    const target = await this.requireVersion(modelType, version);
    const rows = await this.stageChanges.listForVersion(target.id);
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
  private async lockModelType(tx: Tx, modelType: string): Promise<void> {
    if (!(await this.types.lockForStageChange(tx, modelType))) throw ModelRegistryError.typeNotFound(modelType);
  }

  private async changeStage(tx: Tx, modelType: string, version: string, stage: Stage, actor: string, reason: string | null): Promise<ModelVersionEntity> {
    await this.lockModelType(tx, modelType);
    const target = await this.requireVersion(modelType, version, tx);
    const currentProduction = stage === 'production' && target.stage !== 'production' ? await this.versions.findProduction(modelType, tx) : null;
    const planned = planStageChange(target, stage, currentProduction);
    if (planned.length === 0) return target;
    for (const change of planned) {
      await this.versions.setStage(tx, change.id, change.to);
      await this.stageChanges.append(tx, {
        modelVersionId: change.id,
        fromStage: change.from,
        toStage: change.to,
        changedBy: actor,
        reason: change.id === target.id ? reason : change.reason,
      });
    }
    await this.changes.publish({ topic: MODEL_VERSIONS_TOPIC, key: modelType }, tx);
    return this.versions.findById(tx, target.id);
  }

  private async requireVersion(modelType: string, version: string, tx?: Tx): Promise<ModelVersionEntity> {
    const canonical = canonicalVersion(version);
    const found = canonical ? await this.versions.find(modelType, canonical, tx) : null;
    if (found) return found;
    if (!(await this.types.exists(modelType, tx))) throw ModelRegistryError.typeNotFound(modelType);
    throw ModelRegistryError.versionNotFound(modelType, version);
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
