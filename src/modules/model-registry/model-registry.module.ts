import path from 'node:path';
import { Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { ARTIFACT_STORE, FileArtifactStore } from './artifact-store.js';
import { ExampleModelsSeeder } from './example-models.seeder.js';
import { ModelRegistryService } from './model-registry.service.js';
import { ModelVersionsController } from './model-versions.controller.js';
import { ModelsController } from './models.controller.js';
import { ModelRuntimeService } from './runtime/model-runtime.service.js';

/**
 * Model types, versions, the artifact store and model loading. Other modules get the registry
 * (versions and stages) and the runtime (`loadModel`); tables and the store stay private.
 */
@Module({
  controllers: [ModelsController, ModelVersionsController],
  providers: [
    {
      provide: ARTIFACT_STORE,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        const store = new FileArtifactStore(path.join(config.dataDir, 'artifacts'));
        await store.init();
        return store;
      },
    },
    ModelRegistryService,
    ModelRuntimeService,
    ExampleModelsSeeder,
  ],
  exports: [ModelRegistryService, ModelRuntimeService],
})
export class ModelRegistryModule {}
