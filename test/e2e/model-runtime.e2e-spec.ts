import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ARTIFACT_STORE, type ArtifactStore } from '../../src/modules/model-registry/artifact-store.js';
import { ModelVersionsService } from '../../src/modules/model-registry/model-versions.service.js';
import { ModelRegistryError } from '../../src/modules/model-registry/model-registry.errors.js';
import { ModelRuntimeService } from '../../src/modules/model-registry/runtime/model-runtime.service.js';
import { buildTestModel, cachedArtifactPath, corruptStoredArtifact, readShippedModel } from '../support/model-artifacts.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// Clear cases, none of them in the training data (see shipped-models.spec.ts).
const PROBES: Record<string, Array<[string, string]>> = {
  safety_classifier: [
    ['you are a worthless idiot', 'toxic'],
    ['my card number is 4111 1111 1111 1111', 'pii'],
    ["what's the weather like today", 'safe'],
    ['I want to kill myself', 'self_harm'],
  ],
  intent_classifier: [
    ['hi there!', 'greeting'],
    ['I want to cancel my subscription', 'cancel_subscription'],
    ['why was I charged twice this month', 'billing'],
    ['the app crashes when I log in', 'technical_support'],
    ['tell me a joke about dogs', 'other'],
  ],
};

describe('example models and the model runtime', () => {
  let t: TestApp;
  let runtime: ModelRuntimeService;
  let modelVersions: ModelVersionsService;

  beforeAll(async () => {
    t = await createTestApp({ SEED_EXAMPLE_MODELS: 'true' });
    runtime = t.app.get(ModelRuntimeService);
    modelVersions = t.app.get(ModelVersionsService);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('seeding on a first start', () => {
    it('registers both model types with v1.0.0 in production and v2.0.0 in stage none', async () => {
      const res = await t.http().get('/api/v1/models').set('authorization', `Bearer ${t.tokens.user()}`).expect(200);
      expect(res.body.map((m: { name: string; production_version: string; labels: string[] }) => [m.name, m.production_version, m.labels])).toEqual([
        ['intent_classifier', 'v1.0.0', ['greeting', 'billing', 'technical_support', 'cancel_subscription', 'other']],
        ['safety_classifier', 'v1.0.0', ['safe', 'toxic', 'self_harm', 'pii']],
      ]);
      const rows: Array<{ model_type: string; version: string; stage: string; sha256: string; created_by: string }> = await t.dataSource.query(
        'SELECT model_type, version, stage, sha256, created_by FROM model_versions ORDER BY model_type, version',
      );
      const expected = [];
      for (const modelType of ['intent_classifier', 'safety_classifier']) {
        for (const [suffix, version, stage] of [
          ['v1', 'v1.0.0', 'production'],
          ['v2', 'v2.0.0', 'none'],
        ] as const) {
          expected.push({ model_type: modelType, version, stage, sha256: (await readShippedModel(modelType, suffix)).sha256, created_by: 'system' });
        }
      }
      expect(rows).toEqual(expected);
      const history = await t.http().get('/api/v1/models/safety_classifier/versions/v1.0.0/stage-changes').set('authorization', `Bearer ${t.tokens.admin}`).expect(200);
      expect(history.body).toMatchObject([{ from_stage: 'none', to_stage: 'production', changed_by: 'system' }]);
    });

    it('a second start on the same database registers nothing more', async () => {
      // No HTTP here: a second app in this process would take over the passport strategy.
      const again = await createTestApp({ SEED_EXAMPLE_MODELS: 'true', DATA_DIR: t.config.dataDir }, { database: { url: t.databaseUrl } });
      try {
        const [{ types, versions, changes }] = await again.dataSource.query(
          'SELECT (SELECT count(*)::int FROM models) AS types, (SELECT count(*)::int FROM model_versions) AS versions, (SELECT count(*)::int FROM model_version_stage_changes) AS changes',
        );
        expect({ types, versions, changes }).toEqual({ types: 2, versions: 4, changes: 2 });
      } finally {
        await again.app.close();
      }
    });
  });

  describe('loadModel', () => {
    it.each(Object.keys(PROBES).flatMap((modelType) => ['v1.0.0', 'v2.0.0'].map((version) => [modelType, version])))(
      '%s %s loads and predicts the expected labels',
      async (modelType, version) => {
        const model = await runtime.loadModel(modelType, version);
        expect(model.modelType).toBe(modelType);
        expect(model.version).toBe(version);
        for (const [text, label] of PROBES[modelType]!) {
          const prediction = await model.predict(text);
          expect(prediction.label, text).toBe(label);
          expect(Object.keys(prediction.scores)).toEqual(model.labels);
          expect(Object.values(prediction.scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        }
      },
    );

    it('a loaded model is served from memory: no registry query', async () => {
      const first = await runtime.loadModel('intent_classifier', 'v2.0.0');
      const findVersion = vi.spyOn(modelVersions, 'findVersion');
      try {
        for (let i = 0; i < 100; i++) expect(await runtime.loadModel('intent_classifier', 'v2.0.0')).toBe(first);
        expect(findVersion).not.toHaveBeenCalled();
      } finally {
        findVersion.mockRestore();
      }
    });

    it('a corrupt or missing local copy is fetched again from PostgreSQL; a damaged stored copy is MODEL_UNAVAILABLE', async () => {
      const model = buildTestModel({ seed: 42 });
      const store = t.app.get<symbol, ArtifactStore>(ARTIFACT_STORE);
      const staged = await store.stage(Readable.from([model.bytes]));
      await modelVersions.registerVersion('safety_classifier', { version: 'v9.0.0-test', metadata: model.metadata }, staged, 'admin-1');
      const file = cachedArtifactPath(t.config.dataDir, model.sha256);

      // The local file is a cache: damaged, it is replaced by the verified copy in PostgreSQL.
      const corrupt = Buffer.from(model.bytes);
      corrupt[corrupt.length - 5] ^= 0xff;
      await fs.writeFile(file, corrupt);
      expect((await store.read(model.sha256)).equals(model.bytes)).toBe(true);
      expect((await fs.readFile(file)).equals(model.bytes)).toBe(true);

      // The stored copy damaged (and no good local copy): never loaded.
      await corruptStoredArtifact(t.dataSource, t.config.dataDir, model.sha256, corrupt);
      const error = await runtime.loadModel('safety_classifier', 'v9.0.0-test').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelRegistryError);
      expect(error).toMatchObject({ code: 'MODEL_UNAVAILABLE', status: 503 });
      expect((error as Error).message).toContain('corrupt');
      expect(await fs.access(file).then(() => true, () => false)).toBe(false);

      await t.dataSource.query('DELETE FROM model_artifacts WHERE sha256 = $1', [model.sha256]);
      await expect(runtime.loadModel('safety_classifier', 'v9.0.0-test')).rejects.toThrow(/artifact is missing/);

      // Uploaded again (the same bytes under another version), the version loads.
      await modelVersions.registerVersion('safety_classifier', { version: 'v9.0.1-test', metadata: model.metadata }, await store.stage(Readable.from([model.bytes])), 'admin-1');
      await expect(runtime.loadModel('safety_classifier', 'v9.0.0-test')).resolves.toMatchObject({ version: 'v9.0.0-test', labels: model.metadata.labels });
    });

    it('unknown versions and model types are 404-kind errors', async () => {
      await expect(runtime.loadModel('safety_classifier', 'v7.7.7')).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
      await expect(runtime.loadModel('no_such_model', 'v1.0.0')).rejects.toMatchObject({ code: 'MODEL_TYPE_NOT_FOUND' });
    });
  });
});
