import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { managerOf, type Tx } from '../../database/transactions.js';
import { ModelVersionStageChangeEntity } from './model-version-stage-change.entity.js';
import type { Stage } from './stage-rules.js';

export interface NewStageChange {
  modelVersionId: string;
  fromStage: Stage;
  toStage: Stage;
  changedBy: string;
  reason: string | null;
}

/** The one owner of `model_version_stage_changes`, the history of stages. */
export abstract class StageChangeRepository {
  abstract append(tx: Tx, change: NewStageChange): Promise<void>;
  /** Oldest first. */
  abstract listForVersion(modelVersionId: string): Promise<ModelVersionStageChangeEntity[]>;
}

@Injectable()
export class PostgresStageChangeRepository extends StageChangeRepository {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async append(tx: Tx, change: NewStageChange): Promise<void> {
    await managerOf(tx).getRepository(ModelVersionStageChangeEntity).insert(change);
  }

  listForVersion(modelVersionId: string): Promise<ModelVersionStageChangeEntity[]> {
    return this.dataSource.getRepository(ModelVersionStageChangeEntity).find({ where: { modelVersionId }, order: { changedAt: 'ASC', id: 'ASC' } });
  }
}
