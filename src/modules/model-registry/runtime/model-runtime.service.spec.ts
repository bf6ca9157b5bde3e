import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArtifactIntegrityError, ArtifactNotFoundError, type ArtifactStore } from '../artifact-store.js';
import type { ModelVersionInfo } from '../model-version-records.js';
import type { ModelTypesService } from '../model-types.service.js';
import type { ModelVersionsService } from '../model-versions.service.js';
import { ModelRegistryError } from '../model-registry.errors.js';
import { ModelRuntimeService, type ClassifierLoader } from './model-runtime.service.js';
import type { TextClassifier } from './onnx-classifier.js';

const METADATA = { labels: ['a', 'b'], featurizer: { type: 'hashed_ngrams' }, input_name: 'features', output_name: 'probabilities' };

function info(modelType: string, version: string, overrides: Partial<ModelVersionInfo> = {}): ModelVersionInfo {
  return { id: `${modelType}-${version}`, modelType, version, stage: 'none', format: 'onnx', sha256: 'a'.repeat(64), metadata: METADATA, ...overrides };
}

interface FakeClassifier extends TextClassifier {
  disposed: boolean;
}

function harness(options: { capacity?: number; versions?: ModelVersionInfo[]; read?: ArtifactStore['read']; loader?: ClassifierLoader } = {}) {
  const versions = new Map((options.versions ?? [info('safety', 'v1.0.0'), info('safety', 'v2.0.0'), info('intent', 'v1.0.0')]).map((v) => [`${v.modelType}/${v.version}`, v]));
  const registry = {
    findVersion: vi.fn(async (modelType: string, version: string) => versions.get(`${modelType}/${version.startsWith('v') ? version : `v${version}`}`) ?? null),
    modelTypeExists: vi.fn(async (modelType: string) => [...versions.values()].some((v) => v.modelType === modelType)),
  };
  const store = { read: vi.fn(options.read ?? (async () => Buffer.from('onnx bytes'))) };
  const classifiers: FakeClassifier[] = [];
  const loader =
    options.loader ??
    vi.fn(async (_bytes: Uint8Array, metadata: Record<string, unknown>) => {
      const classifier: FakeClassifier = {
        disposed: false,
        metadata: metadata as unknown as TextClassifier['metadata'],
        labels: ['a', 'b'],
        async predict(text: string) {
          if (classifier.disposed) throw new Error('model has been disposed');
          await new Promise((resolve) => setTimeout(resolve, text === 'slow' ? 30 : 0));
          if (classifier.disposed) throw new Error('session released during inference');
          return { label: 'a', score: 0.9, scores: { a: 0.9, b: 0.1 } };
        },
        async dispose() {
          classifier.disposed = true;
        },
      };
      classifiers.push(classifier);
      return classifier;
    });
  const runtime = new ModelRuntimeService(registry as unknown as ModelTypesService, registry as unknown as ModelVersionsService, store as unknown as ArtifactStore, { capacity: options.capacity, loader });
  return { runtime, registry, store, loader, classifiers };
}

describe('ModelRuntimeService', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('loads a version once and then serves it from the cache without asking the registry', async () => {
    const { runtime, registry, loader } = harness();
    const first = await runtime.loadModel('safety', 'v1.0.0');
    expect(first).toMatchObject({ modelType: 'safety', version: 'v1.0.0', labels: ['a', 'b'] });
    expect(await first.predict('hello')).toEqual({ label: 'a', score: 0.9, scores: { a: 0.9, b: 0.1 } });
    for (let i = 0; i < 5; i++) expect(await runtime.loadModel('safety', 'v1.0.0')).toBe(first);
    expect(registry.findVersion).toHaveBeenCalledTimes(1);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('treats 1.0.0 and v1.0.0 as the same cached version', async () => {
    const { runtime, loader } = harness();
    const withV = await runtime.loadModel('safety', 'v1.0.0');
    expect(await runtime.loadModel('safety', '1.0.0')).toBe(withV);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('concurrent loads of one version share a single load', async () => {
    const { runtime, registry, loader } = harness();
    const models = await Promise.all(Array.from({ length: 20 }, () => runtime.loadModel('safety', 'v2.0.0')));
    expect(new Set(models).size).toBe(1);
    expect(registry.findVersion).toHaveBeenCalledTimes(1);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('evicts the least recently used version beyond its capacity and releases its session', async () => {
    const { runtime, classifiers } = harness({ capacity: 2 });
    await runtime.loadModel('safety', 'v1.0.0');
    await runtime.loadModel('safety', 'v2.0.0');
    await runtime.loadModel('safety', 'v1.0.0'); // v1 is now the most recent
    await runtime.loadModel('intent', 'v1.0.0');
    expect(runtime.loadedVersions()).toEqual([
      { modelType: 'safety', version: 'v1.0.0' },
      { modelType: 'intent', version: 'v1.0.0' },
    ]);
    expect(classifiers.map((c) => c.disposed)).toEqual([false, true, false]);
  });

  it('an evicted model finishes its running predictions first, and a held reference keeps working', async () => {
    const { runtime, classifiers, loader } = harness({ capacity: 1 });
    const held = await runtime.loadModel('safety', 'v1.0.0');
    const running = held.predict('slow');
    await runtime.loadModel('safety', 'v2.0.0'); // evicts v1 while it is predicting
    expect(classifiers[0]!.disposed).toBe(false);
    await expect(running).resolves.toMatchObject({ label: 'a' });
    expect(classifiers[0]!.disposed).toBe(true);
    await expect(held.predict('again')).resolves.toMatchObject({ label: 'a' });
    expect(loader).toHaveBeenCalledTimes(3);
  });

  it('unknown model types and versions are not-found errors', async () => {
    const { runtime } = harness();
    await expect(runtime.loadModel('nope', 'v1.0.0')).rejects.toMatchObject({ code: 'MODEL_TYPE_NOT_FOUND' });
    await expect(runtime.loadModel('safety', 'v9.0.0')).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
    await expect(runtime.loadModel('safety', 'latest')).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
  });

  it.each([
    ['missing', new ArtifactNotFoundError('a'.repeat(64)), /artifact is missing/],
    ['corrupt', new ArtifactIntegrityError('a'.repeat(64), 'b'.repeat(64)), /artifact is corrupt/],
    ['unreadable', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), /cannot be read/],
  ])('a %s artifact is MODEL_UNAVAILABLE, and the failure is not cached', async (_name, failure, message) => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    let fail = true;
    const { runtime } = harness({
      read: async () => {
        if (fail) throw failure;
        return Buffer.from('ok');
      },
    });
    const error = await runtime.loadModel('safety', 'v1.0.0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelRegistryError);
    expect((error as ModelRegistryError).code).toBe('MODEL_UNAVAILABLE');
    expect((error as Error).message).toMatch(message);
    fail = false;
    await expect(runtime.loadModel('safety', 'v1.0.0')).resolves.toMatchObject({ version: 'v1.0.0' });
  });

  it('a version that does not load, has no runtime metadata or another format is MODEL_UNAVAILABLE', async () => {
    const broken = harness({ loader: async () => Promise.reject(new Error('ONNX artifact could not be loaded: protobuf parsing failed')) });
    await expect(broken.runtime.loadModel('safety', 'v1.0.0')).rejects.toThrow(/unavailable: it does not load: ONNX artifact could not be loaded/);
    const bare = harness({ versions: [info('safety', 'v1.0.0', { metadata: {} }), info('safety', 'v2.0.0', { format: 'pt' })] });
    await expect(bare.runtime.loadModel('safety', 'v1.0.0')).rejects.toThrow(/declares no runtime metadata/);
    await expect(bare.runtime.loadModel('safety', 'v2.0.0')).rejects.toThrow(/cannot serve the pt format/);
  });

  it('an inference failure is MODEL_UNAVAILABLE', async () => {
    const { runtime } = harness({
      loader: async () => ({
        metadata: METADATA as unknown as TextClassifier['metadata'],
        labels: ['a', 'b'],
        predict: async () => Promise.reject(new Error('ONNX output "probabilities" contains a non-finite score')),
        dispose: async () => undefined,
      }),
    });
    const model = await runtime.loadModel('safety', 'v1.0.0');
    await expect(model.predict('x')).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
  });

  it('releases every session on shutdown', async () => {
    const { runtime, classifiers } = harness();
    await runtime.loadModel('safety', 'v1.0.0');
    await runtime.loadModel('intent', 'v1.0.0');
    runtime.onModuleDestroy();
    expect(classifiers.every((c) => c.disposed)).toBe(true);
    expect(runtime.loadedVersions()).toEqual([]);
  });
});
