import { randomUUID } from 'node:crypto';
import { FakeChangeFeed } from '../../database/fake-change-feed.js';
import { FakeTransactions, type Tx } from '../../database/transactions.js';
import type { ArtifactStore } from './artifact-store.js';
import { ModelVersionEntity } from './model-version.entity.js';
import { ModelVersionStageChangeEntity } from './model-version-stage-change.entity.js';
import { ModelTypeRepository, type ModelTypeRow, type NewModelType } from './model-type.repository.js';
import { ModelVersionRepository, type NewModelVersion } from './model-version.repository.js';
import { StageChangeRepository, type NewStageChange } from './model-version-stage-change.repository.js';
import { ModelStagesService } from './model-stages.service.js';
import { ModelTypesService } from './model-types.service.js';
import { ModelVersionsService } from './model-versions.service.js';
import type { Stage } from './stage-rules.js';

/** In memory, for unit specs: `models`, `model_versions` and `model_version_stage_changes` without locks. */
export class FakeModelTypeRepository extends ModelTypeRepository {
  readonly rows = new Map<string, NewModelType & { createdAt: Date }>();

  constructor(private readonly versions?: FakeModelVersionRepository) {
    super();
  }

  exists(name: string): Promise<boolean> {
    return Promise.resolve(this.rows.has(name));
  }

  insert(input: NewModelType): Promise<boolean> {
    if (this.rows.has(input.name)) return Promise.resolve(false);
    this.rows.set(input.name, { ...input, labels: [...input.labels], createdAt: new Date() });
    return Promise.resolve(true);
  }

  list(name?: string): Promise<ModelTypeRow[]> {
    const rows = [...this.rows.values()].filter((row) => name === undefined || row.name === name).sort((x, y) => (x.name < y.name ? -1 : 1));
    return Promise.resolve(
      rows.map((row) => ({ ...row, labels: [...row.labels], productionVersion: this.versions?.productionOf(row.name)?.version ?? null })),
    );
  }

  listNames(): Promise<string[]> {
    return Promise.resolve([...this.rows.keys()].sort());
  }

  count(): Promise<number> {
    return Promise.resolve(this.rows.size);
  }

  lockForStageChange(_tx: Tx, name: string): Promise<boolean> {
    return Promise.resolve(this.rows.has(name));
  }
}

export class FakeModelVersionRepository extends ModelVersionRepository {
  readonly rows: ModelVersionEntity[] = [];

  productionOf(modelType: string): ModelVersionEntity | undefined {
    return this.rows.find((row) => row.modelType === modelType && row.stage === 'production');
  }

  exists(modelType: string, version: string): Promise<boolean> {
    return Promise.resolve(this.rows.some((row) => row.modelType === modelType && row.version === version));
  }

  insert(_tx: Tx, version: NewModelVersion): Promise<ModelVersionEntity | null> {
    if (this.rows.some((row) => row.modelType === version.modelType && row.version === version.version)) return Promise.resolve(null);
    const now = new Date();
    const row = Object.assign(new ModelVersionEntity(), { ...version, id: randomUUID(), createdAt: now, updatedAt: now });
    this.rows.push(row);
    return Promise.resolve({ ...row });
  }

  find(modelType: string, version: string): Promise<ModelVersionEntity | null> {
    const row = this.rows.find((r) => r.modelType === modelType && r.version === version);
    return Promise.resolve(row ? { ...row } : null);
  }

  findById(_tx: Tx, id: string): Promise<ModelVersionEntity> {
    const row = this.rows.find((r) => r.id === id);
    return row ? Promise.resolve({ ...row }) : Promise.reject(new Error(`no model version ${id}`));
  }

  findProduction(modelType: string): Promise<ModelVersionEntity | null> {
    const row = this.productionOf(modelType);
    return Promise.resolve(row ? { ...row } : null);
  }

  list(modelType: string, query: { stage?: Stage; limit: number; offset: number }): Promise<{ items: ModelVersionEntity[]; total: number }> {
    const matching = this.rows
      .filter((row) => row.modelType === modelType && (query.stage === undefined || row.stage === query.stage))
      .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (x.id < y.id ? 1 : -1));
    return Promise.resolve({ items: matching.slice(query.offset, query.offset + query.limit).map((row) => ({ ...row })), total: matching.length });
  }

  listStages(modelType: string): Promise<Array<{ version: string; stage: Stage }>> {
    return Promise.resolve(
      this.rows
        .filter((row) => row.modelType === modelType)
        .map((row) => ({ version: row.version, stage: row.stage }))
        .sort((x, y) => (x.version < y.version ? -1 : 1)),
    );
  }

  setStage(_tx: Tx, id: string, stage: Stage): Promise<void> {
    const row = this.rows.find((r) => r.id === id);
    if (row) Object.assign(row, { stage, updatedAt: new Date() });
    return Promise.resolve();
  }
}

export class FakeStageChangeRepository extends StageChangeRepository {
  readonly rows: ModelVersionStageChangeEntity[] = [];

  append(_tx: Tx, change: NewStageChange): Promise<void> {
    this.rows.push(Object.assign(new ModelVersionStageChangeEntity(), { ...change, id: randomUUID(), changedAt: new Date() }));
    return Promise.resolve();
  }

  listForVersion(modelVersionId: string): Promise<ModelVersionStageChangeEntity[]> {
    return Promise.resolve(this.rows.filter((row) => row.modelVersionId === modelVersionId));
  }
}

/**
 * The registry's three services on the fake repositories, for unit specs. The change feed only
 * records the keys it is asked to publish (`published`); pass an artifact store when the spec
 * registers or reads artifacts.
 */
export function buildRegistryOnFakes(store: ArtifactStore = {} as ArtifactStore) {
  const versions = new FakeModelVersionRepository();
  const types = new FakeModelTypeRepository(versions);
  const stageChanges = new FakeStageChangeRepository();
  const transactions = new FakeTransactions();
  const feed = new FakeChangeFeed();
  const modelTypes = new ModelTypesService(types, feed);
  const stages = new ModelStagesService(transactions, types, versions, stageChanges, feed);
  const modelVersions = new ModelVersionsService(types, versions, stages, store);
  return { modelTypes, modelVersions, stages, types, versions, stageChanges, transactions, published: feed.publishedKeys };
}

/** `buildRegistryOnFakes` with the model type `spam_filter` and the named versions in stage none (no artifacts). */
export async function buildRegistryWithVersions(names: string[]) {
  const built = buildRegistryOnFakes();
  await built.modelTypes.createModelType({ name: 'spam_filter', task: 'text-classification' });
  for (const version of names) {
    await built.versions.insert({} as never, { modelType: 'spam_filter', version, format: 'onnx', artifactUri: 'x', sha256: 'a'.repeat(64), sizeBytes: 1, metadata: {}, stage: 'none', createdBy: 'spec' });
  }
  return built;
}
