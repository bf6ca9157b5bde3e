import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUniqueViolation } from '../../common/errors/postgres-errors.js';
import { managerOf, type Tx } from '../../database/transactions.js';
import { ModelEntity } from './model.entity.js';
import { ModelVersionEntity } from './model-version.entity.js';

export interface NewModelType {
  name: string;
  task: string;
  description: string | null;
  labels: string[];
}

export interface ModelTypeRow extends NewModelType {
  createdAt: Date;
  /** The version in production, or null when the model type has none. */
  productionVersion: string | null;
}

/** The one owner of `models`. */
export abstract class ModelTypeRepository {
  abstract exists(name: string, tx?: Tx): Promise<boolean>;
  /** False when a model type of that name exists already (the unique key decides a race). */
  abstract insert(input: NewModelType): Promise<boolean>;
  /** Every model type (or the one named), sorted by name, with its production version. */
  abstract list(name?: string): Promise<ModelTypeRow[]>;
  /** Every name, sorted. */
  abstract listNames(): Promise<string[]>;
  abstract count(): Promise<number>;
  /**
   * Serialises stage changes of one model type until `tx` ends (FOR NO KEY UPDATE does not block
   * the foreign-key checks of concurrent version inserts). False when the model type does not exist.
   */
  abstract lockForStageChange(tx: Tx, name: string): Promise<boolean>;
}

@Injectable()
export class PostgresModelTypeRepository extends ModelTypeRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  exists(name: string, tx?: Tx): Promise<boolean> {
    return (tx ? managerOf(tx) : this.dataSource.manager).getRepository(ModelEntity).existsBy({ name });
  }

  async insert(input: NewModelType): Promise<boolean> {
    try {
      // insert, not save: save() would silently update an existing model type of the same name.
      await this.dataSource.getRepository(ModelEntity).insert(input);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async list(name?: string): Promise<ModelTypeRow[]> {
    const query = this.dataSource
      .getRepository(ModelEntity)
      .createQueryBuilder('m')
      .leftJoin(ModelVersionEntity, 'p', `p.model_type = m.name AND p.stage = 'production'`)
      .addSelect('p.version', 'production_version')
      .orderBy('m.name', 'ASC');
    if (name !== undefined) query.where('m.name = :name', { name });
    const { entities, raw } = await query.getRawAndEntities<{ m_name: string; production_version: string | null }>();
    const production = new Map(raw.map((row) => [row.m_name, row.production_version]));
    return entities.map((e) => ({
      name: e.name,
      task: e.task,
      description: e.description,
      labels: e.labels,
      createdAt: e.createdAt,
      productionVersion: production.get(e.name) ?? null,
    }));
  }

  async listNames(): Promise<string[]> {
    const rows = await this.dataSource.getRepository(ModelEntity).find({ select: { name: true }, order: { name: 'ASC' } });
    return rows.map((row) => row.name);
  }

  count(): Promise<number> {
    return this.dataSource.getRepository(ModelEntity).count();
  }

  async lockForStageChange(tx: Tx, name: string): Promise<boolean> {
    const rows: unknown[] = await managerOf(tx).query('SELECT name FROM models WHERE name = $1 FOR NO KEY UPDATE', [name]);
    return rows.length > 0;
  }
}
