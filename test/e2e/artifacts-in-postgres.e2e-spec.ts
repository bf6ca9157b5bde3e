import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ARTIFACT_STORE, ArtifactIntegrityError } from '../../src/modules/model-registry/artifact-store.js';
import { CHUNK_BYTES, PostgresArtifactStore } from '../../src/modules/model-registry/postgres-artifact.store.js';
import { ModelRuntimeService } from '../../src/modules/model-registry/runtime/model-runtime.service.js';
import { bearer } from '../support/ab-test-factory.js';
import { buildTestModel, cachedArtifactPath, filesUnder, sha256 } from '../support/model-artifacts.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Artifacts live in PostgreSQL: an instance with an empty DATA_DIR serves every registered version,
 * the same bytes are stored once, reads are verified, and a DATA_DIR file store of an earlier
 * release moves into PostgreSQL at start.
 */
describe('artifacts in PostgreSQL', () => {
  let first: TestApp;
  /** Same database, its own (empty) DATA_DIR. */
  let second: TestApp;
  const storeOf = (app: TestApp) => app.app.get<symbol, PostgresArtifactStore>(ARTIFACT_STORE);

  beforeAll(async () => {
    first = await createTestApp();
    second = await createTestApp({}, { database: { url: first.databaseUrl }, jwtSecret: first.tokens.secret });
    await first.http().post('/api/v1/models').set(bearer(first.tokens.admin)).send({ name: 'shared_type', task: 'text-classification' }).expect(201);
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('a version uploaded to one instance is downloaded and served by another with an empty DATA_DIR', async () => {
    const model = buildTestModel({ seed: 501 });
    await first
      .http()
      .post('/api/v1/models/shared_type/versions')
      .set(bearer(first.tokens.admin))
      .field('version', 'v1.0.0')
      .field('metadata', JSON.stringify(model.metadata))
      .attach('file', model.bytes, 'model.onnx')
      .expect(201);
    expect(await filesUnder(path.join(second.config.dataDir, 'artifacts', 'sha256'))).toEqual([]);

    const download = await second
      .http()
      .get('/api/v1/models/shared_type/versions/v1.0.0/artifact')
      .set(bearer(second.tokens.admin))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(sha256(download.body as Buffer)).toBe(model.sha256);

    const loaded = await second.app.get(ModelRuntimeService).loadModel('shared_type', 'v1.0.0');
    expect((await loaded.predict('hello there')).label).toEqual(expect.any(String));
    // Loading filled the second instance's read-through cache.
    expect((await fs.readFile(cachedArtifactPath(second.config.dataDir, model.sha256))).equals(model.bytes)).toBe(true);
  });

  it('streams a multi-chunk artifact in and out, stores equal bytes once, and verifies every read', async () => {
    const bytes = randomBytes(Math.floor(2.5 * CHUNK_BYTES));
    const digest = sha256(bytes);
    const staged = await storeOf(first).stage(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
    expect(staged.sha256).toBe(digest);
    await staged.commit();
    // The same bytes again, from the other instance: no second copy.
    await (await storeOf(second).stage(Readable.from([bytes]))).commit();
    const [header] = await first.dataSource.query('SELECT size_bytes, chunks FROM model_artifacts WHERE sha256 = $1', [digest]);
    expect(header).toEqual({ size_bytes: String(bytes.length), chunks: 3 });
    const [{ rows }] = await first.dataSource.query('SELECT count(*)::int AS rows FROM model_artifact_chunks WHERE sha256 = $1', [digest]);
    expect(rows).toBe(3);

    expect(await storeOf(second).has(digest)).toBe(true);
    const { sizeBytes, stream } = await storeOf(second).openReadStream(digest);
    expect(sizeBytes).toBe(bytes.length);
    expect((await buffer(stream)).equals(bytes)).toBe(true);

    // Damaged in PostgreSQL with the sizes intact: the stream fails at its end, never completes.
    const damaged = Buffer.from((await first.dataSource.query('SELECT data FROM model_artifact_chunks WHERE sha256 = $1 AND seq = 1', [digest]))[0].data as Buffer);
    damaged[10] ^= 0xff;
    await first.dataSource.query('UPDATE model_artifact_chunks SET data = $2 WHERE sha256 = $1 AND seq = 1', [digest, damaged]);
    const broken = await storeOf(second).openReadStream(digest);
    await expect(buffer(broken.stream)).rejects.toBeInstanceOf(ArtifactIntegrityError);
    // A good local copy is still served (it is verified on every read); without it, the damaged
    // stored copy is refused and nothing corrupt is cached.
    expect((await storeOf(second).read(digest)).equals(bytes)).toBe(true);
    await fs.rm(cachedArtifactPath(second.config.dataDir, digest), { force: true });
    await expect(storeOf(second).read(digest)).rejects.toBeInstanceOf(ArtifactIntegrityError);
    expect(await fs.access(cachedArtifactPath(second.config.dataDir, digest)).then(() => true, () => false)).toBe(false);
  });

  it('unreferenced artifacts go once their grace period is over; referenced and recent ones stay', async () => {
    const count = async (where: string) => (await first.dataSource.query(`SELECT count(*)::int AS n FROM model_artifacts a WHERE ${where}`))[0].n as number;
    const referenced = 'EXISTS (SELECT 1 FROM model_versions v WHERE v.sha256 = a.sha256)';
    const old = randomBytes(5000);
    const recent = randomBytes(5000);
    await (await storeOf(first).stage(Readable.from([old]))).commit();
    await (await storeOf(first).stage(Readable.from([recent]))).commit();
    await first.dataSource.query(`UPDATE model_artifacts SET created_at = now() - interval '2 days' WHERE sha256 = $1 OR ${referenced.replace('a.sha256', 'model_artifacts.sha256')}`, [sha256(old)]);
    const before = await count(referenced);
    expect(before).toBeGreaterThan(0);

    expect(await storeOf(first).deleteUnreferenced(24)).toBe(1);
    expect(await storeOf(first).has(sha256(old))).toBe(false);
    expect(await storeOf(first).has(sha256(recent))).toBe(true);
    expect(await count(referenced)).toBe(before);
    expect((await first.dataSource.query('SELECT count(*)::int AS n FROM model_artifact_chunks WHERE sha256 = $1', [sha256(old)]))[0].n).toBe(0);
  });

  it('a DATA_DIR file store of an earlier release moves into PostgreSQL at start, once', async () => {
    // The former layout: DATA_DIR/artifacts/sha256/ab/cdef…, the row pointing at it with local:.
    const legacyDir = path.join(inject('testTmpDir'), `legacy-${randomBytes(4).toString('hex')}`);
    const model = buildTestModel({ seed: 777 });
    const corrupt = buildTestModel({ seed: 778 });
    for (const [m, content] of [
      [model, model.bytes],
      [corrupt, Buffer.from('bit rot')],
    ] as const) {
      await fs.mkdir(path.dirname(cachedArtifactPath(legacyDir, m.sha256)), { recursive: true });
      await fs.writeFile(cachedArtifactPath(legacyDir, m.sha256), content);
    }
    for (const [version, m] of [
      ['v5.0.0', model],
      ['v5.0.1', corrupt],
    ] as const) {
      await first.dataSource.query(
        `INSERT INTO model_versions (model_type, version, format, artifact_uri, sha256, size_bytes, metadata, stage, created_by)
         VALUES ('shared_type', $1, 'onnx', $2, $3, $4, $5, 'none', 'old-release')`,
        [version, `local:sha256/${m.sha256.slice(0, 2)}/${m.sha256.slice(2)}`, m.sha256, m.bytes.length, JSON.stringify(m.metadata)],
      );
    }

    const upgraded = await createTestApp({ DATA_DIR: legacyDir }, { database: { url: first.databaseUrl }, jwtSecret: first.tokens.secret });
    try {
      const rows = await first.dataSource.query(`SELECT version, artifact_uri FROM model_versions WHERE created_by = 'old-release' ORDER BY version`);
      expect(rows).toEqual([
        { version: 'v5.0.0', artifact_uri: `postgres:model_artifacts/${model.sha256}` },
        // Not moved: its file does not hash to its name.
        { version: 'v5.0.1', artifact_uri: `local:sha256/${corrupt.sha256.slice(0, 2)}/${corrupt.sha256.slice(2)}` },
      ]);
      // Served by the instance that never had the file.
      const loaded = await second.app.get(ModelRuntimeService).loadModel('shared_type', 'v5.0.0');
      expect(loaded.labels).toEqual(model.metadata.labels);
      // Running it again moves nothing and reports the one version still missing.
      const again = await storeOf(upgraded).importLegacyFiles();
      expect(again).toMatchObject({ imported: 0, corrupt: [cachedArtifactPath(legacyDir, corrupt.sha256)] });
      expect(again.missing.map((m) => m.version)).toEqual(['v5.0.1']);
      expect(again.alreadyStored).toBe(1);
    } finally {
      await upgraded.close();
      await first.dataSource.query(`DELETE FROM model_versions WHERE created_by = 'old-release'`);
    }
  });
});

