import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { ARTIFACT_STORE, ArtifactIntegrityError, ArtifactNotFoundError, type ArtifactStore } from '../artifact-store.js';
import { ModelRegistryError } from '../model-registry.errors.js';
import type { ModelVersionInfo } from '../model-version-records.js';
import { ModelTypesService } from '../model-types.service.js';
import { ModelVersionsService } from '../model-versions.service.js';
import { canonicalVersion } from '../semver.js';
import { loadOnnxClassifier, type TextClassifier } from './onnx-classifier.js';

/** A model version ready to serve. Hold it for one request; call `loadModel` again for the next (a Map lookup). */
export interface LoadedModel {
  modelType: string;
  version: string;
  labels: string[];
  /** Rejects with MODEL_UNAVAILABLE when inference fails. */
  predict(text: string): Promise<{ label: string; score: number; scores: Record<string, number> }>;
}

export type ClassifierLoader = (bytes: Uint8Array, metadata: Record<string, unknown>) => Promise<TextClassifier>;

export interface ModelRuntimeOptions {
  /** Most loaded versions kept in memory (least recently used ones are released first). */
  capacity?: number;
  /** How artifact bytes become a classifier (tests replace it). */
  loader?: ClassifierLoader;
}

export const MODEL_RUNTIME_OPTIONS = Symbol('ModelRuntimeOptions');
export const DEFAULT_MODEL_CACHE_CAPACITY = 16;

/**
 * One loaded version in the cache. After eviction its session is released once the predictions
 * running on it finish; a caller still holding it then transparently goes through `loadModel`.
 */
class CachedModel implements LoadedModel {
  readonly labels: string[];
  private inFlight = 0;
  private evicted = false;
  private released = false;

  constructor(
    readonly modelType: string,
    readonly version: string,
    private readonly classifier: TextClassifier,
    private readonly reload: () => Promise<LoadedModel>,
    private readonly logger: Logger,
  ) {
    this.labels = [...classifier.labels];
  }

  async predict(text: string): Promise<{ label: string; score: number; scores: Record<string, number> }> {
    if (this.evicted) return (await this.reload()).predict(text);
    this.inFlight++;
    try {
      return await this.classifier.predict(text);
    } catch (error) {
      throw ModelRegistryError.unavailable(this.modelType, this.version, `inference failed: ${(error as Error).message}`);
    } finally {
      this.inFlight--;
      if (this.evicted && this.inFlight === 0) this.release();
    }
  }

  evict(): void {
    this.evicted = true;
    if (this.inFlight === 0) this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.classifier.dispose().catch((error: unknown) => this.logger.warn(`releasing ${this.modelType} ${this.version} failed: ${String(error)}`));
  }
}

/**
 * Loads registered model versions for inference: metadata from the registry, bytes from the
 * artifact store (sha256-verified), an onnxruntime session built by the declared featurizer.
 * Loaded versions stay in a bounded LRU cache keyed by (model type, version): versions are
 * immutable, so an entry never goes stale, and a hit costs one Map lookup and no query.
 * Concurrent loads of one version share a single load; a failed load is not cached.
 */
@Injectable()
export class ModelRuntimeService implements OnModuleDestroy {
  private readonly logger = new Logger('ModelRuntime');
  /** Insertion order is recency order: a hit moves the entry to the end, eviction takes the first. */
  private readonly cache = new Map<string, CachedModel>();
  private readonly loading = new Map<string, Promise<CachedModel>>();
  private readonly capacity: number;
  private readonly loader: ClassifierLoader;

  constructor(
    private readonly modelTypes: ModelTypesService,
    private readonly modelVersions: ModelVersionsService,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Optional() @Inject(MODEL_RUNTIME_OPTIONS) options?: ModelRuntimeOptions,
  ) {
    this.capacity = Math.max(1, options?.capacity ?? DEFAULT_MODEL_CACHE_CAPACITY);
    this.loader = options?.loader ?? loadOnnxClassifier;
  }

  /**
   * The version ready for `predict`. Throws MODEL_TYPE_NOT_FOUND / MODEL_VERSION_NOT_FOUND (404)
   * for an unknown version, and MODEL_UNAVAILABLE (503) when its artifact is missing or corrupt or
   * does not load. `version` may be written with or without the leading v.
   */
  async loadModel(modelType: string, version: string): Promise<LoadedModel> {
    const key = cacheKey(modelType, version);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const canonical = canonicalVersion(version);
    if (!canonical) {
      if (!(await this.modelTypes.modelTypeExists(modelType))) throw ModelRegistryError.typeNotFound(modelType);
      throw ModelRegistryError.versionNotFound(modelType, version);
    }
    if (canonical !== version) return this.loadModel(modelType, canonical);

    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(modelType, canonical).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Loaded versions, least recently used first (for diagnostics and tests). */
  loadedVersions(): Array<{ modelType: string; version: string }> {
    return [...this.cache.values()].map(({ modelType, version }) => ({ modelType, version }));
  }

  onModuleDestroy(): void {
    for (const model of this.cache.values()) model.evict();
    this.cache.clear();
  }

  private async load(modelType: string, version: string): Promise<CachedModel> {
    const info = await this.modelVersions.findVersion(modelType, version);
    if (!info) {
      if (!(await this.modelTypes.modelTypeExists(modelType))) throw ModelRegistryError.typeNotFound(modelType);
      throw ModelRegistryError.versionNotFound(modelType, version);
    }
    const started = performance.now();
    const classifier = await this.buildClassifier(info);
    const model = new CachedModel(modelType, version, classifier, () => this.loadModel(modelType, version), this.logger);
    this.cache.set(cacheKey(modelType, version), model);
    while (this.cache.size > this.capacity) {
      const [oldestKey, oldest] = this.cache.entries().next().value!;
      this.cache.delete(oldestKey);
      oldest.evict();
    }
    this.logger.log(`loaded ${modelType} ${version} (${info.sha256.slice(0, 12)}) in ${Math.round(performance.now() - started)} ms`);
    return model;
  }

  private async buildClassifier(info: ModelVersionInfo): Promise<TextClassifier> {
    const unavailable = (reason: string) => ModelRegistryError.unavailable(info.modelType, info.version, reason);
    if (info.format !== 'onnx') throw unavailable(`the runtime cannot serve the ${info.format} format`);
    if (!info.metadata || !('featurizer' in info.metadata)) {
      throw unavailable('the version declares no runtime metadata (labels, featurizer, input_name, output_name); register a version with metadata');
    }
    let bytes: Buffer;
    try {
      bytes = await this.store.read(info.sha256);
    } catch (error) {
      if (error instanceof ArtifactNotFoundError) throw unavailable('its artifact is missing from the artifact store');
      if (error instanceof ArtifactIntegrityError) throw unavailable('its artifact is corrupt (sha256 mismatch)');
      this.logger.error(`reading the artifact of ${info.modelType} ${info.version} failed: ${(error as Error).stack ?? String(error)}`);
      throw unavailable('its artifact cannot be read');
    }
    try {
      return await this.loader(bytes, info.metadata);
    } catch (error) {
      throw unavailable(`it does not load: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

function cacheKey(modelType: string, version: string): string {
  return `${modelType}\u0000${version}`;
}
