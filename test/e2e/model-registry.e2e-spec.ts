import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeFeed, type Change } from '../../src/database/change-feed.service.js';
import { ModelStagesService } from '../../src/modules/model-registry/model-stages.service.js';
import { ModelTypesService } from '../../src/modules/model-registry/model-types.service.js';
import { ModelVersionsService } from '../../src/modules/model-registry/model-versions.service.js';
import { buildTestModel, corruptStoredArtifact, filesUnder, readShippedModel, sha256, storedArtifactBytes, type TestModel } from '../support/model-artifacts.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { Transactions } from '../../src/database/transactions.js';

function expectError(body: unknown, status: number, code: string): void {
  expect(body).toMatchObject({ status_code: status, code });
  expect(typeof (body as { message?: unknown }).message).toBe('string');
  expect(JSON.stringify(body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
}

interface UploadOptions {
  token?: string;
  version?: string;
  format?: string;
  stage?: string;
  metadata?: unknown;
  fileName?: string;
}

describe('model registry', () => {
  let t: TestApp;
  let artifactsDir: string;
  const admin = () => ({ authorization: `Bearer ${t.tokens.admin}` });

  function upload(modelType: string, model: { bytes: Buffer; metadata?: unknown }, options: UploadOptions = {}) {
    const request = t
      .http()
      .post(`/api/v1/models/${modelType}/versions`)
      .set('authorization', `Bearer ${options.token ?? t.tokens.admin}`);
    if (options.version !== undefined) request.field('version', options.version);
    if (options.format !== undefined) request.field('format', options.format);
    if (options.stage !== undefined) request.field('stage', options.stage);
    const metadata = options.metadata !== undefined ? options.metadata : model.metadata;
    if (metadata !== undefined) request.field('metadata', typeof metadata === 'string' ? metadata : JSON.stringify(metadata));
    return request.attach('file', model.bytes, options.fileName ?? 'model.onnx');
  }

  async function createType(name: string, labels?: string[]) {
    return t.http().post('/api/v1/models').set(admin()).send({ name, task: 'text-classification', labels }).expect(201);
  }

  async function versionRows(modelType: string): Promise<Array<{ version: string; stage: string; sha256: string }>> {
    return t.dataSource.query('SELECT version, stage, sha256 FROM model_versions WHERE model_type = $1 ORDER BY version', [modelType]);
  }

  /** Artifacts stored for good (the staging folder must be empty after every request). */
  async function storedArtifacts(): Promise<string[]> {
    return filesUnder(artifactsDir);
  }

  beforeAll(async () => {
    t = await createTestApp();
    artifactsDir = path.join(t.config.dataDir, 'artifacts');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('model types', () => {
    it('POST /models creates a model type (201) and GET reads it with no production version', async () => {
      const res = await t
        .http()
        .post('/api/v1/models')
        .set(admin())
        .send({ name: 'spam_filter', task: 'text-classification', description: 'Flags spam', labels: ['ham', 'spam'] })
        .expect(201);
      expect(res.body).toEqual({
        name: 'spam_filter',
        task: 'text-classification',
        description: 'Flags spam',
        labels: ['ham', 'spam'],
        production_version: null,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      const got = await t.http().get('/api/v1/models/spam_filter').set('authorization', `Bearer ${t.tokens.user()}`).expect(200);
      expect(got.body).toEqual(res.body);
      const [row] = await t.dataSource.query('SELECT name, task, description, labels FROM models WHERE name = $1', ['spam_filter']);
      expect(row).toEqual({ name: 'spam_filter', task: 'text-classification', description: 'Flags spam', labels: ['ham', 'spam'] });
    });

    it('a duplicate name is 409 DUPLICATE_MODEL_TYPE', async () => {
      await createType('dupe_type');
      const res = await t.http().post('/api/v1/models').set(admin()).send({ name: 'dupe_type', task: 'x' }).expect(409);
      expectError(res.body, 409, 'DUPLICATE_MODEL_TYPE');
    });

    it.each([['Bad-Name'], ['a'], ['1abc'], ['has space'], ['x'.repeat(64)]])('name %j is 400', async (name) => {
      const res = await t.http().post('/api/v1/models').set(admin()).send({ name, task: 'x' }).expect(400);
      expectError(res.body, 400, 'VALIDATION_FAILED');
      expect(res.body.message).toContain('name');
    });

    it('401 without a token, 403 for a user or service token on writes', async () => {
      const body = { name: 'nope_type', task: 'x' };
      expectError((await t.http().post('/api/v1/models').send(body).expect(401)).body, 401, 'AUTH_REQUIRED');
      expectError((await t.http().post('/api/v1/models').set('authorization', `Bearer ${t.tokens.user()}`).send(body).expect(403)).body, 403, 'FORBIDDEN_ROLE');
      expectError((await t.http().post('/api/v1/models').set('authorization', `Bearer ${t.tokens.service}`).send(body).expect(403)).body, 403, 'FORBIDDEN_ROLE');
      await t.http().get('/api/v1/models').expect(401);
    });

    it('GET /models is readable by user and service tokens', async () => {
      for (const token of [t.tokens.user(), t.tokens.service]) {
        const res = await t.http().get('/api/v1/models').set('authorization', `Bearer ${token}`).expect(200);
        expect(res.body.map((m: { name: string }) => m.name)).toContain('spam_filter');
      }
    });

    it('an unknown model type is 404 MODEL_TYPE_NOT_FOUND', async () => {
      expectError((await t.http().get('/api/v1/models/no_such_type').set(admin()).expect(404)).body, 404, 'MODEL_TYPE_NOT_FOUND');
      expectError((await t.http().get('/api/v1/models/no_such_type/versions').set(admin()).expect(404)).body, 404, 'MODEL_TYPE_NOT_FOUND');
    });
  });

  describe('upload and download', () => {
    let model: TestModel;

    beforeAll(async () => {
      await createType('upload_type');
      model = buildTestModel({ seed: 11 });
    });

    it('registers a version (201), stores the artifact under its sha256 and records the row', async () => {
      const res = await upload('upload_type', model, { version: 'v1.0.0', format: 'onnx' }).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        model_type: 'upload_type',
        version: 'v1.0.0',
        format: 'onnx',
        stage: 'none',
        sha256: model.sha256,
        size_bytes: model.bytes.length,
        metadata: expect.objectContaining({ labels: model.metadata.labels, input_name: 'features' }),
        created_by: 'admin-1',
        created_at: expect.any(String),
        updated_at: expect.any(String),
        artifact_url: '/api/v1/models/upload_type/versions/v1.0.0/artifact',
      });
      const stored = path.join(artifactsDir, 'sha256', model.sha256.slice(0, 2), model.sha256.slice(2));
      expect(sha256(await fs.readFile(stored))).toBe(model.sha256);
      const [row] = await t.dataSource.query('SELECT artifact_uri, size_bytes, created_by FROM model_versions WHERE id = $1', [res.body.id]);
      expect(row).toEqual({ artifact_uri: `postgres:model_artifacts/${model.sha256}`, size_bytes: String(model.bytes.length), created_by: 'admin-1' });
      // The shared copy is in PostgreSQL; the local file is this instance's cache of it.
      expect((await storedArtifactBytes(t.dataSource, model.sha256))?.equals(model.bytes)).toBe(true);
      expect(await fs.readdir(path.join(artifactsDir, 'tmp'))).toEqual([]);
    });

    it('downloads the artifact with its checksum (admin and service), not for users', async () => {
      for (const token of [t.tokens.admin, t.tokens.service]) {
        const res = await t
          .http()
          .get('/api/v1/models/upload_type/versions/v1.0.0/artifact')
          .set('authorization', `Bearer ${token}`)
          .buffer(true)
          .parse((response, done) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => done(null, Buffer.concat(chunks)));
          })
          .expect(200);
        expect(res.headers['content-type']).toBe('application/octet-stream');
        expect(res.headers['x-artifact-sha256']).toBe(model.sha256);
        expect(res.headers['content-disposition']).toBe('attachment; filename="upload_type_v1.0.0.onnx"');
        expect(sha256(res.body as Buffer)).toBe(model.sha256);
      }
      const forbidden = await t.http().get('/api/v1/models/upload_type/versions/v1.0.0/artifact').set('authorization', `Bearer ${t.tokens.user()}`).expect(403);
      expectError(forbidden.body, 403, 'FORBIDDEN_ROLE');
    });

    it('reads a version by either spelling, and lists it', async () => {
      const withV = await t.http().get('/api/v1/models/upload_type/versions/v1.0.0').set('authorization', `Bearer ${t.tokens.user()}`).expect(200);
      const withoutV = await t.http().get('/api/v1/models/upload_type/versions/1.0.0').set(admin()).expect(200);
      expect(withoutV.body).toEqual(withV.body);
      const list = await t.http().get('/api/v1/models/upload_type/versions').set(admin()).expect(200);
      expect(list.body).toMatchObject({ total: 1, limit: 50, offset: 0, items: [{ version: 'v1.0.0' }] });
      expectError((await t.http().get('/api/v1/models/upload_type/versions/v9.9.9').set(admin()).expect(404)).body, 404, 'MODEL_VERSION_NOT_FOUND');
      expectError((await t.http().get('/api/v1/models/upload_type/versions/latest').set(admin()).expect(404)).body, 404, 'MODEL_VERSION_NOT_FOUND');
    });

    it('a duplicate version is 409 in either spelling, and stores nothing new', async () => {
      const before = await storedArtifacts();
      const other = buildTestModel({ seed: 12 });
      expectError((await upload('upload_type', other, { version: 'v1.0.0' }).expect(409)).body, 409, 'DUPLICATE_MODEL_VERSION');
      expectError((await upload('upload_type', other, { version: '1.0.0' }).expect(409)).body, 409, 'DUPLICATE_MODEL_VERSION');
      expect(await storedArtifacts()).toEqual(before);
      expect(await versionRows('upload_type')).toHaveLength(1);
    });

    it('the same bytes under another version are stored once', async () => {
      const before = await storedArtifacts();
      const res = await upload('upload_type', model, { version: '1.0.1' }).expect(201);
      expect(res.body.version).toBe('v1.0.1');
      expect(res.body.sha256).toBe(model.sha256);
      expect(await storedArtifacts()).toEqual(before);
    });

    it.each([
      ['no version', {}, 'INVALID_VERSION'],
      ['a non-semver version', { version: 'version-2' }, 'INVALID_VERSION'],
      ['a two-part version', { version: 'v2.0' }, 'INVALID_VERSION'],
      ['an unsupported format', { version: 'v3.0.0', format: 'pt' }, 'UNSUPPORTED_FORMAT'],
      ['metadata that is not JSON', { version: 'v3.0.0', metadata: '{labels: [' }, 'INVALID_METADATA'],
      ['metadata that is not an object', { version: 'v3.0.0', metadata: '[1, 2]' }, 'INVALID_METADATA'],
      ['metadata without a featurizer', { version: 'v3.0.0', metadata: { labels: ['a', 'b'], input_name: 'features', output_name: 'probabilities' } }, 'INVALID_METADATA'],
      ['metadata of another model type', { version: 'v3.0.0', metadata: { ...buildTestModel().metadata, model_type: 'intent_classifier' } }, 'INVALID_METADATA'],
      ['an unknown stage', { version: 'v3.0.0', stage: 'live' }, 'INVALID_STAGE'],
    ] as Array<[string, UploadOptions, string]>)('%s is 400 %s and stores nothing', async (_name, options, code) => {
      const before = await storedArtifacts();
      const res = await upload('upload_type', buildTestModel({ seed: 13 }), options).expect(400);
      expectError(res.body, 400, code);
      expect(await storedArtifacts()).toEqual(before);
      expect((await versionRows('upload_type')).map((r) => r.version)).not.toContain('v3.0.0');
    });

    it('an upload without the file, with an unknown field, or not multipart is 400', async () => {
      const noFile = await t.http().post('/api/v1/models/upload_type/versions').set(admin()).field('version', 'v3.0.0').expect(400);
      expectError(noFile.body, 400, 'VALIDATION_FAILED');
      expect(noFile.body.message).toContain('"file"');
      const unknown = await upload('upload_type', buildTestModel({ seed: 14 }), { version: 'v3.0.0' }).field('weights', 'x').expect(400);
      expectError(unknown.body, 400, 'VALIDATION_FAILED');
      expect(unknown.body.message).toContain('weights');
      const json = await t.http().post('/api/v1/models/upload_type/versions').set(admin()).send({ version: 'v3.0.0' }).expect(400);
      expectError(json.body, 400, 'VALIDATION_FAILED');
      expect(await fs.readdir(path.join(artifactsDir, 'tmp'))).toEqual([]);
    });

    it('a file that is not ONNX is 422 INVALID_ARTIFACT: no row, no file', async () => {
      const before = await storedArtifacts();
      const garbage = { bytes: Buffer.from('this is a pickled PyTorch model, honest'), metadata: buildTestModel().metadata };
      const res = await upload('upload_type', garbage, { version: 'v4.0.0' }).expect(422);
      expectError(res.body, 422, 'INVALID_ARTIFACT');
      expect(res.body.message).toMatch(/^The artifact is not a usable model: ONNX artifact could not be loaded/);
      const withoutMetadata = await upload('upload_type', { bytes: garbage.bytes }, { version: 'v4.0.0' }).expect(422);
      expectError(withoutMetadata.body, 422, 'INVALID_ARTIFACT');
      expect(await storedArtifacts()).toEqual(before);
      expect((await versionRows('upload_type')).map((r) => r.version)).not.toContain('v4.0.0');
      expect(await fs.readdir(path.join(artifactsDir, 'tmp'))).toEqual([]);
    });

    it('an ONNX graph that disagrees with its metadata is 422', async () => {
      const model = buildTestModel({ dimension: 64, seed: 15 });
      const wider = { ...model.metadata, featurizer: { ...(model.metadata.featurizer as object), dimension: 128 } };
      const res = await upload('upload_type', model, { version: 'v5.0.0', metadata: wider }).expect(422);
      expectError(res.body, 422, 'INVALID_ARTIFACT');
      expect(res.body.message).toContain('takes 64 features but the metadata featurizer produces 128');
      const moreLabels = { ...model.metadata, labels: ['a', 'b', 'c', 'd', 'e'] };
      expectError((await upload('upload_type', model, { version: 'v5.0.0', metadata: moreLabels }).expect(422)).body, 422, 'INVALID_ARTIFACT');
      expect(await fs.readdir(path.join(artifactsDir, 'tmp'))).toEqual([]);
    });

    it('accepts the metadata sent as a file part (curl -F metadata=@model.meta.json)', async () => {
      const model = buildTestModel({ seed: 19 });
      const res = await t
        .http()
        .post('/api/v1/models/upload_type/versions')
        .set(admin())
        .field('version', 'v6.1.0')
        .attach('metadata', Buffer.from(JSON.stringify(model.metadata)), { filename: 'model.meta.json', contentType: 'application/json' })
        .attach('file', model.bytes, 'model.onnx')
        .expect(201);
      expect(res.body.metadata.labels).toEqual(model.metadata.labels);
      const twoArtifacts = await t
        .http()
        .post('/api/v1/models/upload_type/versions')
        .set(admin())
        .field('version', 'v6.2.0')
        .attach('file', model.bytes, 'a.onnx')
        .attach('file', model.bytes, 'b.onnx')
        .expect(400);
      expectError(twoArtifacts.body, 400, 'VALIDATION_FAILED');
      expect(await fs.readdir(path.join(artifactsDir, 'tmp'))).toEqual([]);
    });

    it('a valid ONNX file without metadata is registered (artifact only)', async () => {
      const res = await upload('upload_type', { bytes: buildTestModel({ seed: 16 }).bytes }, { version: 'v6.0.0' }).expect(201);
      expect(res.body.metadata).toEqual({});
    });

    it('an upload to an unknown model type is 404 and stores nothing', async () => {
      const before = await storedArtifacts();
      expectError((await upload('no_such_type', buildTestModel({ seed: 17 }), { version: 'v1.0.0' }).expect(404)).body, 404, 'MODEL_TYPE_NOT_FOUND');
      expect(await storedArtifacts()).toEqual(before);
    });

    it('401 without a token and 403 for user and service tokens, before anything is stored', async () => {
      const before = await storedArtifacts();
      await t.http().post('/api/v1/models/upload_type/versions').field('version', 'v7.0.0').attach('file', model.bytes, 'm.onnx').expect(401);
      for (const token of [t.tokens.user(), t.tokens.service]) {
        expectError((await upload('upload_type', model, { version: 'v7.0.0', token }).expect(403)).body, 403, 'FORBIDDEN_ROLE');
      }
      expect(await storedArtifacts()).toEqual(before);
    });

    it('a stored artifact that was damaged or went missing is 503 MODEL_UNAVAILABLE on download', async () => {
      const lonely = buildTestModel({ seed: 18 });
      await upload('upload_type', lonely, { version: 'v8.0.0' }).expect(201);
      await corruptStoredArtifact(t.dataSource, t.config.dataDir, lonely.sha256, Buffer.concat([lonely.bytes, Buffer.from('tail')]));
      expectError((await t.http().get('/api/v1/models/upload_type/versions/v8.0.0/artifact').set(admin()).expect(503)).body, 503, 'MODEL_UNAVAILABLE');
      await t.dataSource.query('DELETE FROM model_artifacts WHERE sha256 = $1', [lonely.sha256]);
      expectError((await t.http().get('/api/v1/models/upload_type/versions/v8.0.0/artifact').set(admin()).expect(503)).body, 503, 'MODEL_UNAVAILABLE');
    });
  });

  describe('stages', () => {
    const models: Record<string, TestModel> = {};

    beforeAll(async () => {
      await createType('stage_type');
      for (const [i, version] of ['v1.0.0', 'v1.1.0', 'v2.0.0', 'v3.0.0-rc.1'].entries()) {
        models[version] = buildTestModel({ seed: 100 + i });
        await upload('stage_type', models[version], { version }).expect(201);
      }
    });

    function promote(version: string, stage: string, token = t.tokens.admin) {
      return t.http().post(`/api/v1/models/stage_type/versions/${version}/promote`).set('authorization', `Bearer ${token}`).send({ stage });
    }

    async function history(version: string) {
      const res = await t.http().get(`/api/v1/models/stage_type/versions/${version}/stage-changes`).set('authorization', `Bearer ${t.tokens.user()}`).expect(200);
      return res.body as Array<{ from_stage: string; to_stage: string; changed_by: string; reason: string | null; version: string }>;
    }

    it('promotes to production, recording who did it', async () => {
      const res = await promote('v1.0.0', 'production').expect(200);
      expect(res.body).toMatchObject({ version: 'v1.0.0', stage: 'production' });
      const type = await t.http().get('/api/v1/models/stage_type').set(admin()).expect(200);
      expect(type.body.production_version).toBe('v1.0.0');
      expect(await history('v1.0.0')).toEqual([
        {
          id: expect.any(String),
          model_type: 'stage_type',
          version: 'v1.0.0',
          from_stage: 'none',
          to_stage: 'production',
          changed_by: 'admin-1',
          reason: null,
          changed_at: expect.any(String),
        },
      ]);
    });

    it('promoting another version archives the previous production version in the same step, and notifies', async () => {
      const feed = t.app.get(ChangeFeed);
      const received: Change[] = [];
      const unsubscribe = feed.subscribe((change) => received.push(change));
      try {
        await promote('v2.0.0', 'production').expect(200);
        const rows = await versionRows('stage_type');
        expect(rows.filter((r) => r.stage === 'production').map((r) => r.version)).toEqual(['v2.0.0']);
        expect(rows.find((r) => r.version === 'v1.0.0')!.stage).toBe('archived');
        expect((await history('v1.0.0')).map((c) => [c.from_stage, c.to_stage, c.changed_by, c.reason])).toEqual([
          ['none', 'production', 'admin-1', null],
          ['production', 'archived', 'admin-1', 'replaced in production by v2.0.0'],
        ]);
        expect((await history('v2.0.0')).map((c) => [c.from_stage, c.to_stage])).toEqual([['none', 'production']]);
        await expect.poll(() => received, { timeout: 5000 }).toContainEqual({ topic: 'model_versions', key: 'stage_type' });
      } finally {
        unsubscribe();
      }
    });

    it('promoting a version to the stage it has changes nothing', async () => {
      const before = await t.dataSource.query('SELECT count(*)::int AS n FROM model_version_stage_changes');
      const res = await promote('2.0.0', 'production').expect(200);
      expect(res.body.stage).toBe('production');
      expect(await t.dataSource.query('SELECT count(*)::int AS n FROM model_version_stage_changes')).toEqual(before);
    });

    it('rolls an archived version back into production', async () => {
      await promote('v1.0.0', 'production').expect(200);
      const rows = await versionRows('stage_type');
      expect(rows.filter((r) => r.stage === 'production').map((r) => r.version)).toEqual(['v1.0.0']);
      expect(rows.find((r) => r.version === 'v2.0.0')!.stage).toBe('archived');
    });

    it('staging and none do not touch the production version', async () => {
      await promote('v1.1.0', 'staging').expect(200);
      await promote('v3.0.0-rc.1', 'staging').expect(200);
      await promote('v3.0.0-rc.1', 'none').expect(200);
      const rows = await versionRows('stage_type');
      expect(Object.fromEntries(rows.map((r) => [r.version, r.stage]))).toEqual({
        'v1.0.0': 'production',
        'v1.1.0': 'staging',
        'v2.0.0': 'archived',
        'v3.0.0-rc.1': 'none',
      });
    });

    it('lists newest first, filters by stage and paginates', async () => {
      const all = await t.http().get('/api/v1/models/stage_type/versions').set(admin()).expect(200);
      expect(all.body.items.map((v: { version: string }) => v.version)).toEqual(['v3.0.0-rc.1', 'v2.0.0', 'v1.1.0', 'v1.0.0']);
      const staging = await t.http().get('/api/v1/models/stage_type/versions?stage=staging').set(admin()).expect(200);
      expect(staging.body).toMatchObject({ total: 1, items: [{ version: 'v1.1.0' }] });
      const page = await t.http().get('/api/v1/models/stage_type/versions?limit=2&offset=1').set(admin()).expect(200);
      expect(page.body).toMatchObject({ total: 4, limit: 2, offset: 1 });
      expect(page.body.items.map((v: { version: string }) => v.version)).toEqual(['v2.0.0', 'v1.1.0']);
      expectError((await t.http().get('/api/v1/models/stage_type/versions?stage=live').set(admin()).expect(400)).body, 400, 'VALIDATION_FAILED');
      expectError((await t.http().get('/api/v1/models/stage_type/versions?limit=0').set(admin()).expect(400)).body, 400, 'VALIDATION_FAILED');
    });

    it('registering with stage=production archives the current production version', async () => {
      const res = await upload('stage_type', buildTestModel({ seed: 200 }), { version: 'v4.0.0', stage: 'production' }).expect(201);
      expect(res.body.stage).toBe('production');
      const rows = await versionRows('stage_type');
      expect(rows.filter((r) => r.stage === 'production').map((r) => r.version)).toEqual(['v4.0.0']);
      expect(rows.find((r) => r.version === 'v1.0.0')!.stage).toBe('archived');
      expect((await history('v4.0.0')).map((c) => [c.from_stage, c.to_stage])).toEqual([['none', 'production']]);
    });

    it('concurrent promotions leave exactly one production version', async () => {
      const versions = ['v1.0.0', 'v1.1.0', 'v2.0.0', 'v3.0.0-rc.1', 'v4.0.0'];
      const results = await Promise.all(versions.map((version) => promote(version, 'production')));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const production = (await versionRows('stage_type')).filter((r) => r.stage === 'production');
      expect(production).toHaveLength(1);
    });

    it('rejects bad input and the wrong role', async () => {
      expectError((await promote('v1.0.0', 'live').expect(400)).body, 400, 'VALIDATION_FAILED');
      expectError((await promote('v9.0.0', 'production').expect(404)).body, 404, 'MODEL_VERSION_NOT_FOUND');
      expectError((await promote('v1.0.0', 'production', t.tokens.user()).expect(403)).body, 403, 'FORBIDDEN_ROLE');
      await t.http().post('/api/v1/models/stage_type/versions/v1.0.0/promote').send({ stage: 'production' }).expect(401);
      expectError(
        (await t.http().post('/api/v1/models/none_type/versions/v1.0.0/promote').set(admin()).send({ stage: 'production' }).expect(404)).body,
        404,
        'MODEL_TYPE_NOT_FOUND',
      );
    });
  });

  describe('the registry services (in-process contract)', () => {
    let modelTypes: ModelTypesService;
    let modelVersions: ModelVersionsService;
    let stages: ModelStagesService;

    beforeAll(async () => {
      modelTypes = t.app.get(ModelTypesService);
      modelVersions = t.app.get(ModelVersionsService);
      stages = t.app.get(ModelStagesService);
      await createType('contract_type');
      await upload('contract_type', buildTestModel({ seed: 300 }), { version: 'v1.0.0' }).expect(201);
      await upload('contract_type', buildTestModel({ seed: 301 }), { version: 'v2.0.0' }).expect(201);
    });

    it('findVersion, getProductionVersion and modelTypeExists', async () => {
      expect(await modelTypes.modelTypeExists('contract_type')).toBe(true);
      expect(await modelTypes.modelTypeExists('nope')).toBe(false);
      expect(await modelVersions.findVersion('contract_type', '2.0.0')).toMatchObject({ modelType: 'contract_type', version: 'v2.0.0', stage: 'none', format: 'onnx' });
      expect(await modelVersions.findVersion('contract_type', 'v9.0.0')).toBeNull();
      expect(await modelVersions.findVersion('contract_type', 'garbage')).toBeNull();
      expect(await modelVersions.getProductionVersion('contract_type')).toBeNull();
    });

    it("promoteVersion runs in the caller's transaction and rolls back with it", async () => {
      const transactions = t.app.get(Transactions);
      await expect(
        transactions.run(async (tx) => {
          const promoted = await stages.promoteVersion({ modelType: 'contract_type', version: 'v1.0.0', stage: 'production', actor: 'ab-test-runner', tx });
          expect(promoted.stage).toBe('production');
          throw new Error('the A/B test completion failed');
        }),
      ).rejects.toThrow('the A/B test completion failed');
      expect(await modelVersions.getProductionVersion('contract_type')).toBeNull();
      expect(await t.dataSource.query('SELECT 1 FROM model_version_stage_changes c JOIN model_versions v ON v.id = c.model_version_id WHERE v.model_type = $1', ['contract_type'])).toEqual([]);

      await transactions.run((tx) => stages.promoteVersion({ modelType: 'contract_type', version: 'v1.0.0', stage: 'production', actor: 'ab-test-runner', tx }));
      expect(await modelVersions.getProductionVersion('contract_type')).toMatchObject({ version: 'v1.0.0', stage: 'production' });
      const [change] = await stages.listStageChanges('contract_type', 'v1.0.0');
      expect(change).toMatchObject({ fromStage: 'none', toStage: 'production', changedBy: 'ab-test-runner' });
    });
  });

  describe('shipped example artifacts', () => {
    it('uploads models/safety_classifier_v2.onnx with its metadata', async () => {
      await createType('safety_copy');
      const shipped = await readShippedModel('safety_classifier', 'v2');
      const { model_type: _ignored, ...metadata } = shipped.metadata;
      const res = await upload('safety_copy', { bytes: shipped.bytes, metadata }, { version: 'v2.0.0' }).expect(201);
      expect(res.body.sha256).toBe(shipped.sha256);
      expect(res.body.metadata.metrics.heldout_accuracy).toBeGreaterThan(0.75);
    });
  });
});
