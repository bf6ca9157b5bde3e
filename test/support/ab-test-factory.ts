import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestApp } from './test-app.js';
import { ARTIFACT_STORE, type ArtifactStore } from '../../src/modules/model-registry/artifact-store.js';
import { ModelTypesService } from '../../src/modules/model-registry/model-types.service.js';
import { ModelVersionsService } from '../../src/modules/model-registry/model-versions.service.js';
import { exampleModelsDir } from '../../src/modules/model-registry/example-models.seeder.js';

type Stage = 'none' | 'staging' | 'production' | 'archived';

/**
 * A model type of its own (unique name) with the given versions, registered in-process through the
 * registry service and the shipped safety classifier artifact, so each test owns its model type
 * and can run tests on it without stepping on another's.
 */
export async function registerModelType(t: TestApp, versions: Array<{ version: string; stage?: Stage }>, prefix = 'abt'): Promise<string> {
  const store = t.app.get<ArtifactStore>(ARTIFACT_STORE);
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const dir = exampleModelsDir();
  const shipped = JSON.parse(await fs.readFile(path.join(dir, 'safety_classifier_v1.meta.json'), 'utf8')) as Record<string, unknown>;
  const metadata: Record<string, unknown> = { ...shipped, model_type: name };
  await t.app.get(ModelTypesService).createModelType({ name, task: 'text-classification', labels: Array.isArray(metadata.labels) ? (metadata.labels as string[]) : [] });
  for (const { version, stage } of versions) {
    const artifact = await store.stage(createReadStream(path.join(dir, 'safety_classifier_v1.onnx')));
    await t.app.get(ModelVersionsService).registerVersion(name, { version, format: 'onnx', metadata, stage: stage ?? 'none' }, artifact, 'test');
  }
  return name;
}

export interface AbTestBody {
  name: string;
  model_type: string;
  variant_a: string;
  variant_b: string;
  traffic_split: { a: number; b: number };
  [field: string]: unknown;
}

/** The seed doc's create body, for a given model type. */
export function buildAbTestBody(overrides: Partial<AbTestBody> & { model_type: string }): AbTestBody {
  return {
    name: 'Safety Classifier v2 Test',
    variant_a: 'v1.0.0',
    variant_b: 'v2.0.0',
    traffic_split: { a: 0.5, b: 0.5 },
    ...overrides,
  };
}

export const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });

/** Creates a test over HTTP (201 expected) and returns its id. */
export async function createAbTest(t: TestApp, overrides: Partial<AbTestBody> & { model_type: string }): Promise<string> {
  const res = await t.http().post('/api/v1/ab-tests').set(bearer(t.tokens.admin)).send(buildAbTestBody(overrides));
  if (res.status !== 201) throw new Error(`creating an A/B test failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { test_id: string }).test_id;
}

/** Creates and starts a test; returns its id. */
export async function startAbTest(t: TestApp, overrides: Partial<AbTestBody> & { model_type: string }): Promise<string> {
  const id = await createAbTest(t, overrides);
  const res = await t.http().post(`/api/v1/ab-tests/${id}/start`).set(bearer(t.tokens.admin));
  if (res.status !== 200) throw new Error(`starting A/B test ${id} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return id;
}
