import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestModel, temporaryArtifactStore } from '../../../test/support/model-artifacts.js';
import type { FileArtifactStore, StagedArtifact } from './artifact-store.js';
import { buildRegistryOnFakes, buildRegistryWithVersions } from './fake-model-registry.repositories.js';

/** A staged artifact that only records what the registry did with it. */
function recordingArtifact(bytes = Buffer.from('not an onnx model')) {
  const calls: string[] = [];
  const artifact: StagedArtifact = {
    sha256: 'c'.repeat(64),
    sizeBytes: bytes.length,
    readBytes: () => (calls.push('read'), Promise.resolve(bytes)),
    commit: () => (calls.push('commit'), Promise.reject(new Error('a refused version must not be committed'))),
    discard: () => (calls.push('discard'), Promise.resolve()),
  };
  return { artifact, calls };
}

describe('ModelVersionsService on the fake repositories', () => {
  let store: FileArtifactStore;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ store, remove } = await temporaryArtifactStore('model-versions-'));
  });
  afterEach(() => remove());

  it.each([
    ['a version that is not semver', { version: 'latest' }, 'INVALID_VERSION', 400],
    ['an unsupported format', { version: 'v1.0.0', format: 'pickle' }, 'UNSUPPORTED_FORMAT', 400],
    ['an unknown stage', { version: 'v1.0.0', stage: 'prod' }, 'INVALID_STAGE', 400],
    ['metadata that is not an object', { version: 'v1.0.0', metadata: [1] }, 'INVALID_METADATA', 400],
    ['metadata of another model type', { version: 'v1.0.0', metadata: { ...buildTestModel().metadata, model_type: 'other' } }, 'INVALID_METADATA', 400],
    ['an existing version in another spelling', { version: '1.0.0' }, 'DUPLICATE_MODEL_VERSION', 409],
    ['bytes that are not a model', { version: 'v2.0.0' }, 'INVALID_ARTIFACT', 422],
  ])('registerVersion refuses %s (%s) and discards the staged bytes without committing them', async (_name, fields, code, status) => {
    const { modelVersions, versions } = await buildRegistryWithVersions(['v1.0.0']);
    const { artifact, calls } = recordingArtifact();
    await expect(modelVersions.registerVersion('spam_filter', fields, artifact, 'admin')).rejects.toMatchObject({ code, status });
    expect(calls).not.toContain('commit');
    expect(calls.at(-1)).toBe('discard');
    expect(versions.rows.map((row) => row.version)).toEqual(['v1.0.0']);
  });

  it('registerVersion: 404 MODEL_TYPE_NOT_FOUND for an unknown model type, before the bytes are read', async () => {
    const { modelVersions } = buildRegistryOnFakes();
    const { artifact, calls } = recordingArtifact();
    await expect(modelVersions.registerVersion('nope', { version: 'v1.0.0' }, artifact, 'admin')).rejects.toMatchObject({ code: 'MODEL_TYPE_NOT_FOUND', status: 404 });
    expect(calls).toEqual(['discard']);
  });

  it('registerVersion stores the artifact and the row in its initial stage, then openArtifact streams the same bytes', async () => {
    const { modelTypes, modelVersions, stageChanges, published } = buildRegistryOnFakes(store);
    await modelTypes.createModelType({ name: 'spam_filter', task: 'text-classification' });
    const model = buildTestModel({ seed: 7 });
    const registered = await modelVersions.registerVersion('spam_filter', { version: '1.2.0', metadata: model.metadata, stage: 'production' }, await store.stage(Readable.from([model.bytes])), 'admin');
    expect(registered).toMatchObject({ modelType: 'spam_filter', version: 'v1.2.0', stage: 'production', format: 'onnx', sha256: model.sha256, sizeBytes: model.bytes.length, createdBy: 'admin' });
    expect(stageChanges.rows.map((c) => [c.fromStage, c.toStage, c.changedBy])).toEqual([['none', 'production', 'admin']]);
    expect(published).toEqual(['spam_filter', 'spam_filter']);
    expect((await modelTypes.getModelType('spam_filter')).productionVersion).toBe('v1.2.0');

    const opened = await modelVersions.openArtifact('spam_filter', 'v1.2.0');
    expect(opened.sizeBytes).toBe(model.bytes.length);
    expect((await buffer(opened.stream)).equals(model.bytes)).toBe(true);
  });

  it('openArtifact: 503 MODEL_UNAVAILABLE when the stored bytes are missing from the artifact store', async () => {
    const { modelTypes, modelVersions, versions } = buildRegistryOnFakes(store);
    await modelTypes.createModelType({ name: 'spam_filter', task: 'text-classification' });
    await versions.insert({} as never, { modelType: 'spam_filter', version: 'v1.0.0', format: 'onnx', artifactUri: 'x', sha256: 'a'.repeat(64), sizeBytes: 1, metadata: {}, stage: 'none', createdBy: 'spec' });
    await expect(modelVersions.openArtifact('spam_filter', '1.0.0')).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE', status: 503 });
  });

  it('reads: any spelling, 404 MODEL_TYPE_NOT_FOUND before MODEL_VERSION_NOT_FOUND, pages newest first, usable names without archived ones', async () => {
    const { modelVersions, stages, versions } = await buildRegistryWithVersions(['v1.0.0', 'v1.1.0', 'v2.0.0']);
    versions.rows.forEach((row, i) => (row.createdAt = new Date(Date.UTC(2026, 0, 1 + i))));
    await stages.promoteVersion({ modelType: 'spam_filter', version: 'v1.1.0', stage: 'archived', actor: 'admin' });
    await expect(modelVersions.getVersion('spam_filter', '2.0.0')).resolves.toMatchObject({ version: 'v2.0.0' });
    await expect(modelVersions.getVersion('nope', 'v1.0.0')).rejects.toMatchObject({ code: 'MODEL_TYPE_NOT_FOUND', status: 404 });
    await expect(modelVersions.getVersion('spam_filter', 'v9.0.0')).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND', status: 404 });
    expect(await modelVersions.findVersion('spam_filter', 'garbage')).toBeNull();
    expect(await modelVersions.getProductionVersion('spam_filter')).toBeNull();
    expect(await modelVersions.listUsableVersionNames('spam_filter')).toEqual(['v1.0.0', 'v2.0.0']);

    const page = await modelVersions.listVersions('spam_filter', { limit: 2, offset: 1 });
    expect({ ...page, items: page.items.map((v) => v.version) }).toEqual({ items: ['v1.1.0', 'v1.0.0'], total: 3, limit: 2, offset: 1 });
    await expect(modelVersions.listVersions('nope', { limit: 2, offset: 0 })).rejects.toMatchObject({ code: 'MODEL_TYPE_NOT_FOUND', status: 404 });
  });
});
