import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataSource } from 'typeorm';
import { FileArtifactStore } from '../../src/modules/model-registry/artifact-store.js';
import { exportLinearClassifierToOnnx } from '../../src/modules/model-registry/runtime/onnx-export.js';

export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

export interface TestModel {
  bytes: Buffer;
  metadata: Record<string, unknown>;
  sha256: string;
}

/**
 * A small, valid ONNX text classifier with matching metadata. `seed` changes the weights, so
 * different seeds give different bytes (and sha256s).
 */
export function buildTestModel(options: { labels?: string[]; dimension?: number; seed?: number } = {}): TestModel {
  const labels = options.labels ?? ['safe', 'toxic', 'self_harm', 'pii'];
  const dimension = options.dimension ?? 64;
  const seed = options.seed ?? 1;
  const weights = Array.from({ length: dimension * labels.length }, (_, i) => Math.sin(seed * 7919 + i) / 4);
  const bias = labels.map((_, i) => i / 100);
  const bytes = Buffer.from(exportLinearClassifierToOnnx({ inputDimension: dimension, outputDimension: labels.length, weights, bias }));
  const metadata = {
    labels,
    featurizer: {
      type: 'hashed_ngrams',
      dimension,
      lowercase: true,
      word_ngrams: [1, 1],
      char_ngrams: null,
      sublinear_tf: false,
      normalize: 'l2',
      sign_hash: false,
      normalize_digits: false,
    },
    input_name: 'features',
    output_name: 'probabilities',
  };
  return { bytes, metadata, sha256: sha256(bytes) };
}

export function sha256(bytes: Buffer | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A shipped example model (`models/<type>_<suffix>.onnx` + `.meta.json`). */
export async function readShippedModel(modelType: string, suffix: 'v1' | 'v2'): Promise<TestModel> {
  const bytes = await fs.readFile(path.join(MODELS_DIR, `${modelType}_${suffix}.onnx`));
  const metadata = JSON.parse(await fs.readFile(path.join(MODELS_DIR, `${modelType}_${suffix}.meta.json`), 'utf8')) as Record<string, unknown>;
  return { bytes, metadata, sha256: sha256(bytes) };
}

/** Every file under `dir` (relative paths), or [] when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** The local (cache) copy of an artifact in an instance's DATA_DIR. */
export function cachedArtifactPath(dataDir: string, digest: string): string {
  return path.join(dataDir, 'artifacts', 'sha256', digest.slice(0, 2), digest.slice(2));
}

/**
 * Replaces the bytes of a stored artifact in PostgreSQL (chunk 0 becomes `bytes`, the others go)
 * and removes the instance's cached copy, as damage to the database copy would look.
 */
export async function corruptStoredArtifact(dataSource: DataSource, dataDir: string, digest: string, bytes: Buffer = Buffer.from('not an onnx model')): Promise<void> {
  await dataSource.query('UPDATE model_artifact_chunks SET data = $2 WHERE sha256 = $1 AND seq = 0', [digest, bytes]);
  await dataSource.query('DELETE FROM model_artifact_chunks WHERE sha256 = $1 AND seq > 0', [digest]);
  await fs.rm(cachedArtifactPath(dataDir, digest), { force: true });
}

/** The artifact's bytes as stored in PostgreSQL (null when it is not there). */
export async function storedArtifactBytes(dataSource: DataSource, digest: string): Promise<Buffer | null> {
  const rows = (await dataSource.query('SELECT data FROM model_artifact_chunks WHERE sha256 = $1 ORDER BY seq', [digest])) as Array<{ data: Buffer }>;
  const [header] = (await dataSource.query('SELECT 1 FROM model_artifacts WHERE sha256 = $1', [digest])) as unknown[];
  return header ? Buffer.concat(rows.map((row) => row.data)) : null;
}

/** A file artifact store in a new temporary folder (for unit specs); `remove` deletes the folder. */
export async function temporaryArtifactStore(prefix: string): Promise<{ store: FileArtifactStore; remove: () => Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const store = new FileArtifactStore(path.join(root, 'artifacts'));
  await store.init();
  return { store, remove: () => fs.rm(root, { recursive: true, force: true }) };
}
