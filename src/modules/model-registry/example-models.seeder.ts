import { createReadStream, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AdvisoryLocks } from '../../database/advisory-locks.js';
import { ARTIFACT_STORE, type ArtifactStore } from './artifact-store.js';
import { ModelTypesService } from './model-types.service.js';
import { ModelVersionsService } from './model-versions.service.js';
import { ModelRegistryConfig } from './model-registry.config.js';
import { ModelTypeRepository } from './model-type.repository.js';

/** The shipped example models (models/ at the package root), registered on a first start. */
export const EXAMPLE_MODEL_TYPES = [
  {
    name: 'safety_classifier',
    task: 'text-classification',
    description: 'Flags chat messages that are toxic, express self-harm, or contain personal data (safe, toxic, self_harm, pii).',
    files: [
      { version: 'v1.0.0', file: 'safety_classifier_v1', stage: 'production' },
      { version: 'v2.0.0', file: 'safety_classifier_v2', stage: 'none' },
    ],
  },
  {
    name: 'intent_classifier',
    task: 'text-classification',
    description: 'Routes a customer message to an intent: greeting, billing, technical_support, cancel_subscription or other.',
    files: [
      { version: 'v1.0.0', file: 'intent_classifier_v1', stage: 'production' },
      { version: 'v2.0.0', file: 'intent_classifier_v2', stage: 'none' },
    ],
  },
] as const;

export const SEED_ACTOR = 'system';

/** Any fixed number: instances starting together seed once. */
const SEED_LOCK_KEY = 7_221_046_311;

/**
 * The package root: the nearest folder above this file with package.json and models/. Found from
 * this file, so it is the same under `src/` (tsx, vitest) and `dist/src/` (npm start) whatever the
 * working directory (a package.json copied into dist/ by the compiler does not fool it).
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'models'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package root (package.json and models/) above ${from}`);
  }
}

export function exampleModelsDir(): string {
  return path.join(packageRoot(), 'models');
}

/**
 * On a start with an empty registry (no model type at all) and SEED_EXAMPLE_MODELS on, registers
 * the two example model types with v1.0.0 in production and v2.0.0 in stage none, through the
 * same checks as an upload. A registry that has any model type is left alone, so deleting the
 * examples is not undone by a restart. Failure is logged, not fatal: the service still serves.
 */
@Injectable()
export class ExampleModelsSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('ExampleModels');

  constructor(
    @Inject(ModelRegistryConfig.token) private readonly config: ModelRegistryConfig,
    private readonly types: ModelTypeRepository,
    private readonly modelTypes: ModelTypesService,
    private readonly modelVersions: ModelVersionsService,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly locks: AdvisoryLocks,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedExampleModels) return;
    try {
      const seeded = await this.seedIfEmpty();
      if (seeded > 0) this.logger.log(`registered ${seeded} example model versions from ${exampleModelsDir()}`);
    } catch (error) {
      this.logger.error(`registering the example models failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }

  /** Returns how many versions it registered (0 when the registry was not empty). */
  async seedIfEmpty(modelsDir: string = exampleModelsDir()): Promise<number> {
    // The lock is held on a direct connection (DATABASE_DIRECT_URL), never through a pooler.
    return this.locks.withLock(SEED_LOCK_KEY, async () => {
      if ((await this.types.count()) > 0) return 0;
      return this.seed(modelsDir);
    });
  }

  private async seed(modelsDir: string): Promise<number> {
    // All files first: a missing one must not leave half the examples registered (a registry
    // with any model type is never seeded again).
    const missing = EXAMPLE_MODEL_TYPES.flatMap((type) => type.files.flatMap((entry) => [`${entry.file}.onnx`, `${entry.file}.meta.json`])).filter(
      (name) => !existsSync(path.join(modelsDir, name)),
    );
    if (missing.length > 0) throw new Error(`example model files are missing in ${modelsDir}: ${missing.join(', ')}`);
    let registered = 0;
    for (const type of EXAMPLE_MODEL_TYPES) {
      const firstMeta = await this.readMetadata(modelsDir, type.files[0].file);
      await this.modelTypes.createModelType({
        name: type.name,
        task: type.task,
        description: type.description,
        labels: Array.isArray(firstMeta.labels) ? (firstMeta.labels as string[]) : [],
      });
      for (const entry of type.files) {
        const metadata = entry === type.files[0] ? firstMeta : await this.readMetadata(modelsDir, entry.file);
        const artifact = await this.store.stage(createReadStream(path.join(modelsDir, `${entry.file}.onnx`)));
        await this.modelVersions.registerVersion(type.name, { version: entry.version, format: 'onnx', metadata, stage: entry.stage }, artifact, SEED_ACTOR);
        registered++;
      }
    }
    return registered;
  }

  private async readMetadata(modelsDir: string, file: string): Promise<Record<string, unknown>> {
    return JSON.parse(await fs.readFile(path.join(modelsDir, `${file}.meta.json`), 'utf8')) as Record<string, unknown>;
  }
}
