import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { isUniqueViolation } from '../../common/errors/postgres-errors.js';
import { managerOf, type Tx } from '../../database/transactions.js';
import { ModelVersionEntity } from './model-version.entity.js';
import type { Stage } from './stage-rules.js';

export type NewModelVersion = Pick<ModelVersionEntity, 'modelType' | 'version' | 'format' | 'artifactUri' | 'sha256' | 'sizeBytes' | 'metadata' | 'stage' | 'createdBy'>;

/** The one owner of `model_versions`. Versions are looked up by their canonical spelling (`v2.0.0`). */
export abstract class ModelVersionRepository {
  abstract exists(modelType: string, version: string): Promise<boolean>;
  /** The stored row, or null when (modelType, version) exists already (the unique key decides a race). */
  abstract insert(tx: Tx, version: NewModelVersion): Promise<ModelVersionEntity | null>;
  abstract find(modelType: string, version: string, tx?: Tx): Promise<ModelVersionEntity | null>;
  abstract findById(tx: Tx, id: string): Promise<ModelVersionEntity>;
  abstract findProduction(modelType: string, tx?: Tx): Promise<ModelVersionEntity | null>;
  /** Newest first. */
  abstract list(modelType: string, query: { stage?: Stage; limit: number; offset: number }): Promise<{ items: ModelVersionEntity[]; total: number }>;
  /** Every version of the model type with its stage, sorted by spelling. */
  abstract listStages(modelType: string, tx?: Tx): Promise<Array<{ version: string; stage: Stage }>>;
  abstract setStage(tx: Tx, id: string, stage: Stage): Promise<void>;
}

@Injectable()
export class PostgresModelVersionRepository extends ModelVersionRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  private db(tx?: Tx): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  exists(modelType: string, version: string): Promise<boolean> {
    return this.dataSource.getRepository(ModelVersionEntity).existsBy({ modelType, version });
  }

  async insert(tx: Tx, version: NewModelVersion): Promise<ModelVersionEntity | null> {
    const repository = managerOf(tx).getRepository(ModelVersionEntity);
    try {
      // The id is generated, so save() inserts (no lookup first).
      await repository.save(repository.create(version));
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
    return repository.findOneByOrFail({ modelType: version.modelType, version: version.version });
  }

  find(modelType: string, version: string, tx?: Tx): Promise<ModelVersionEntity | null> {
    return this.db(tx).getRepository(ModelVersionEntity).findOneBy({ modelType, version });
  }

  findById(tx: Tx, id: string): Promise<ModelVersionEntity> {
    return managerOf(tx).getRepository(ModelVersionEntity).findOneByOrFail({ id });
  }

  findProduction(modelType: string, tx?: Tx): Promise<ModelVersionEntity | null> {
    return this.db(tx).getRepository(ModelVersionEntity).findOneBy({ modelType, stage: 'production' });
  }

  async list(modelType: string, query: { stage?: Stage; limit: number; offset: number }): Promise<{ items: ModelVersionEntity[]; total: number }> {
    const [items, total] = await this.dataSource.getRepository(ModelVersionEntity).findAndCount({
      where: { modelType, ...(query.stage ? { stage: query.stage } : {}) },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: query.limit,
      skip: query.offset,
    });
    return { items, total };
  }

  async listStages(modelType: string, tx?: Tx): Promise<Array<{ version: string; stage: Stage }>> {
    const rows = await this.db(tx)
      .getRepository(ModelVersionEntity)
      .find({ select: { version: true, stage: true }, where: { modelType }, order: { version: 'ASC' } });
    return rows.map((row) => ({ version: row.version, stage: row.stage }));
  }

  async setStage(tx: Tx, id: string, stage: Stage): Promise<void> {
    await managerOf(tx).getRepository(ModelVersionEntity).update({ id }, { stage });
  }
}
