import path from 'node:path';
import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ARTIFACT_STORE, FileArtifactStore } from './artifact-store.js';
import { PostgresArtifactStore } from './postgres-artifact.store.js';
import { ArtifactRetention } from './artifact-retention.js';
import { ExampleModelsSeeder } from './example-models.seeder.js';
import { ModelRegistryConfig } from './model-registry.config.js';
import { ModelStagesService } from './model-stages.service.js';
import { ModelTypesService } from './model-types.service.js';
import { ModelVersionsService } from './model-versions.service.js';
import { ModelTypeRepository, PostgresModelTypeRepository } from './model-type.repository.js';
import { ModelVersionRepository, PostgresModelVersionRepository } from './model-version.repository.js';
import { PostgresStageChangeRepository, StageChangeRepository } from './model-version-stage-change.repository.js';
import { ModelEntity } from './model.entity.js';
import { ModelVersionEntity } from './model-version.entity.js';
import { ModelVersionStageChangeEntity } from './model-version-stage-change.entity.js';
import { ModelVersionsController } from './model-versions.controller.js';
import { ModelsController } from './models.controller.js';
import { ModelRuntimeService } from './runtime/model-runtime.service.js';

/** Moves a DATA_DIR file store left by an earlier release into PostgreSQL and says what it found. */
async function logImport(store: PostgresArtifactStore): Promise<void> {
  const logger = new Logger('ArtifactStore');
  const found = await store.importLegacyFiles();
  if (found.imported > 0) logger.log(`moved ${found.imported} artifact(s) from ${store.cache.root} into PostgreSQL`);
  for (const file of found.corrupt) logger.warn(`not moved into PostgreSQL: ${file} does not hash to its name (corrupt)`);
  if (found.missing.length > 0) {
    logger.warn(
      `${found.missing.length} model version(s) have no artifact in PostgreSQL (${found.missing
        .slice(0, 5)
        .map((m) => `${m.modelType} ${m.version}`)
        .join(', ')}${found.missing.length > 5 ? ', …' : ''}): start each instance that kept artifacts in its DATA_DIR once with this release to move them`,
    );
  }
}

/**
 * Model types, versions, the artifact store and model loading. Other modules get the registry's
 * services (types, versions, stages) and the runtime (`loadModel`); tables and the store stay private.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ModelEntity, ModelVersionEntity, ModelVersionStageChangeEntity])],
  controllers: [ModelsController, ModelVersionsController],
  providers: [
    ModelRegistryConfig.provider,
    { provide: ModelTypeRepository, useClass: PostgresModelTypeRepository },
    { provide: ModelVersionRepository, useClass: PostgresModelVersionRepository },
    { provide: StageChangeRepository, useClass: PostgresStageChangeRepository },
    {
      provide: ARTIFACT_STORE,
      inject: [ModelRegistryConfig.token, DataSource],
      useFactory: async (config: ModelRegistryConfig, dataSource: DataSource) => {
        const cache = new FileArtifactStore(path.join(config.dataDir, 'artifacts'));
        await cache.init();
        const store = new PostgresArtifactStore(dataSource, cache);
        await logImport(store);
        return store;
      },
    },
    ModelTypesService,
    ModelVersionsService,
    ModelStagesService,
    ModelRuntimeService,
    ExampleModelsSeeder,
    ArtifactRetention,
  ],
  exports: [ModelTypesService, ModelVersionsService, ModelStagesService, ModelRuntimeService],
})
export class ModelRegistryModule {}
