import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestModel, filesUnder } from '../support/model-artifacts.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// A file of its own: each app registers the process-wide passport "jwt" strategy with its own
// secret, so two apps in one test file cannot both authenticate.
describe('model upload size limit (MAX_UPLOAD_BYTES)', () => {
  let t: TestApp;
  const admin = () => ({ authorization: `Bearer ${t.tokens.admin}` });

  beforeAll(async () => {
    t = await createTestApp({ MAX_UPLOAD_BYTES: '4096' });
    await t.http().post('/api/v1/models').set(admin()).send({ name: 'big_type', task: 'x' }).expect(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('an artifact over MAX_UPLOAD_BYTES is 413 JSON and leaves no file and no row', async () => {
    const big = buildTestModel({ dimension: 1024, seed: 3 });
    expect(big.bytes.length).toBeGreaterThan(4096);
    const res = await t
      .http()
      .post('/api/v1/models/big_type/versions')
      .set(admin())
      .field('version', 'v1.0.0')
      .field('metadata', JSON.stringify(big.metadata))
      .attach('file', big.bytes, 'big.onnx')
      .expect(413);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ status_code: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(res.body.message).toContain('4096');
    expect(await filesUnder(path.join(t.config.dataDir, 'artifacts'))).toEqual([]);
    expect(await t.dataSource.query('SELECT 1 FROM model_versions')).toEqual([]);
  });

  it('the file part comes first: still 413, and the fields after it do not matter', async () => {
    const big = buildTestModel({ dimension: 1024, seed: 5 });
    const res = await t
      .http()
      .post('/api/v1/models/big_type/versions')
      .set(admin())
      .attach('file', big.bytes, 'big.onnx')
      .field('version', 'v1.0.0')
      .expect(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await filesUnder(path.join(t.config.dataDir, 'artifacts'))).toEqual([]);
  });

  it('afterwards the server is fine and an artifact under the limit goes through', async () => {
    const tiny = buildTestModel({ dimension: 16, seed: 4 });
    expect(tiny.bytes.length).toBeLessThan(4096);
    await t
      .http()
      .post('/api/v1/models/big_type/versions')
      .set(admin())
      .field('version', 'v1.0.0')
      .field('metadata', JSON.stringify(tiny.metadata))
      .attach('file', tiny.bytes, 'tiny.onnx')
      .expect(201);
    expect(await filesUnder(path.join(t.config.dataDir, 'artifacts'))).toEqual([path.join('sha256', tiny.sha256.slice(0, 2), tiny.sha256.slice(2))]);
  });
});
