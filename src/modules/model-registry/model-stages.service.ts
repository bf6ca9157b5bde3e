import { Injectable } from '@nestjs/common';
import { ChangeFeed } from '../../database/change-feed.service.js';
import { Transactions, type Tx } from '../../database/transactions.js';
import type { ModelVersionEntity } from './model-version.entity.js';
import { toModelVersionRecord, type ModelVersionRecord } from './model-version-records.js';
import { ModelTypeRepository } from './model-type.repository.js';
import { ModelVersionRepository, type NewModelVersion } from './model-version.repository.js';
import { StageChangeRepository } from './model-version-stage-change.repository.js';
import { ModelRegistryError } from './model-registry.errors.js';
import { MODEL_VERSIONS_TOPIC } from './model-types.service.js';
import { requireVersion } from './registry-lookups.js';
import { isStage, planStageChange, STAGES, type Stage } from './stage-rules.js';

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

export interface PromoteVersionOptions {
  modelType: string;
  version: string;
  stage: Stage;
  actor: string;
  reason?: string | null;
  /** Run in the caller's transaction (the notification goes out at its commit). */
  tx?: Tx;
}

/**
 * Stages of model versions: every write that changes which versions a model type has, or their
 * stages. At most one version of a model type is in production; every stage change is recorded and
 * announced on the change feed (topic `model_versions`, key = model type) at commit.
 */
@Injectable()
export class ModelStagesService {
  constructor(
    private readonly transactions: Transactions,
    private readonly types: ModelTypeRepository,
    private readonly versions: ModelVersionRepository,
    private readonly stageChanges: StageChangeRepository,
    private readonly changes: ChangeFeed,
  ) {}

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
    const target = await requireVersion({ types: this.types, versions: this.versions }, modelType, version);
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

  /**
   * Stores a new version (its artifact already committed) and moves it from `none` to `stage`, in
   * one transaction. 409 DUPLICATE_MODEL_VERSION when it exists already (the unique key decides a race).
   */
  async addVersion(version: Omit<NewModelVersion, 'stage'>, stage: Stage, actor: string): Promise<ModelVersionRecord> {
    const { modelType } = version;
    return this.transactions.run(async (tx) => {
      if (stage !== 'none') await this.lockModelType(tx, modelType);
      const stored = await this.versions.insert(tx, { ...version, stage: 'none' });
      if (stored === null) throw ModelRegistryError.duplicateVersion(modelType, version.version);
      if (stage === 'none') {
        await this.changes.publish({ topic: MODEL_VERSIONS_TOPIC, key: modelType }, tx);
        return toModelVersionRecord(stored);
      }
      return toModelVersionRecord(await this.changeStage(tx, modelType, version.version, stage, actor, null));
    });
  }

  /**
   * Serialises stage changes of one model type (FOR NO KEY UPDATE does not block the foreign-key
   * checks of concurrent version inserts, so two registrations cannot deadlock on it).
   */
  private async lockModelType(tx: Tx, modelType: string): Promise<void> {
    if (!(await this.types.lockForStageChange(tx, modelType))) throw ModelRegistryError.typeNotFound(modelType);
  }

  private async changeStage(tx: Tx, modelType: string, version: string, stage: Stage, actor: string, reason: string | null): Promise<ModelVersionEntity> {
    await this.lockModelType(tx, modelType);
    const target = await requireVersion({ types: this.types, versions: this.versions }, modelType, version, tx);
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
}
