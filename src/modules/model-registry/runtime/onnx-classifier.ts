import * as ort from 'onnxruntime-node';
import { createFeaturizer, parseFeaturizerConfig, type FeaturizerConfig } from './featurizer.js';

/** Held-out evaluation recorded by the training run (informational; never used at inference). */
export interface ModelMetrics {
  heldout_accuracy: number;
  heldout_macro_f1: number;
  train_size: number;
  heldout_size: number;
}

/**
 * What a text-classifier version declares next to its ONNX artifact: how to turn text into the
 * graph's input, how to read its output, and (optionally) how it was trained. Extra top-level
 * fields are kept as they are so the registry can store richer metadata than the runtime needs.
 */
export interface ModelMetadata {
  /** Class names in output order: probabilities[i] is the score of labels[i]. */
  labels: string[];
  featurizer: FeaturizerConfig;
  input_name: string;
  output_name: string;
  model_type?: string;
  version?: string;
  task?: string;
  metrics?: ModelMetrics;
  training?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface Prediction {
  label: string;
  score: number;
  scores: Record<string, number>;
}

export interface TextClassifier {
  readonly metadata: Readonly<ModelMetadata>;
  readonly labels: readonly string[];
  /** Rejects (never resolves with garbage) when inference fails, so callers can answer MODEL_UNAVAILABLE. */
  predict(text: string): Promise<Prediction>;
  /** Frees the native session; for caches that evict models. */
  dispose(): Promise<void>;
}

const TENSOR_NAME = /^[A-Za-z_][A-Za-z0-9_.:/-]{0,127}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function parseTensorName(raw: unknown, field: string): string {
  if (typeof raw !== 'string' || !TENSOR_NAME.test(raw)) {
    throw new Error(`model metadata ${field} must be a tensor name like "features", got ${describe(raw)}`);
  }
  return raw;
}

function parseMetrics(raw: unknown): ModelMetrics {
  if (!isPlainObject(raw)) throw new Error(`model metadata metrics must be an object, got ${describe(raw)}`);
  const ratio = (field: string): number => {
    const value = raw[field];
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new Error(`model metadata metrics.${field} must be a number in [0, 1], got ${describe(value)}`);
    }
    return value;
  };
  const count = (field: string): number => {
    const value = raw[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new Error(`model metadata metrics.${field} must be a non-negative integer, got ${describe(value)}`);
    }
    return value;
  };
  return {
    ...raw,
    heldout_accuracy: ratio('heldout_accuracy'),
    heldout_macro_f1: ratio('heldout_macro_f1'),
    train_size: count('train_size'),
    heldout_size: count('heldout_size'),
  };
}

/** Longest label: the predictions table stores each served label in a varchar(200). */
export const MAX_LABEL_LENGTH = 200;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Validates untrusted metadata (uploaded with a version, or read from a shipped .meta.json).
 * Agreement with the graph itself (input width, number of outputs) is checked on load.
 */
export function parseModelMetadata(raw: unknown): ModelMetadata {
  if (!isPlainObject(raw)) throw new Error(`model metadata must be an object, got ${describe(raw)}`);
  const labels = raw.labels;
  if (!Array.isArray(labels) || labels.length === 0) {
    throw new Error(`model metadata labels must be a non-empty array of strings, got ${describe(labels)}`);
  }
  const seen = new Set<string>();
  for (const label of labels) {
    if (typeof label !== 'string' || label.trim() === '') {
      throw new Error(`model metadata labels must be non-empty strings, got ${describe(label)}`);
    }
    if (label.length > MAX_LABEL_LENGTH || CONTROL_CHARACTERS.test(label)) {
      // Every prediction stores its label (predictions.label is varchar(200), as is feedback_label).
      throw new Error(`model metadata labels must be at most ${MAX_LABEL_LENGTH} characters without control characters, got ${describe(label.slice(0, 40))}…`);
    }
    if (seen.has(label)) throw new Error(`model metadata labels must be unique, "${label}" appears twice`);
    seen.add(label);
  }
  let featurizer: FeaturizerConfig;
  try {
    featurizer = parseFeaturizerConfig(raw.featurizer);
  } catch (error) {
    throw new Error(`model metadata has an invalid featurizer: ${(error as Error).message}`, { cause: error });
  }
  for (const field of ['model_type', 'version', 'task'] as const) {
    if (raw[field] !== undefined && typeof raw[field] !== 'string') {
      throw new Error(`model metadata ${field} must be a string when present, got ${describe(raw[field])}`);
    }
  }
  if (raw.training !== undefined && !isPlainObject(raw.training)) {
    throw new Error(`model metadata training must be an object when present, got ${describe(raw.training)}`);
  }
  const metadata: ModelMetadata = {
    ...raw,
    labels: [...labels] as string[],
    featurizer,
    input_name: parseTensorName(raw.input_name, 'input_name'),
    output_name: parseTensorName(raw.output_name, 'output_name'),
  };
  if (raw.metrics !== undefined) metadata.metrics = parseMetrics(raw.metrics);
  return metadata;
}

function tensorShape(meta: ort.InferenceSession.ValueMetadata | undefined): ReadonlyArray<number | string> | null {
  return meta && meta.isTensor ? meta.shape : null;
}

/** A declared dimension only constrains us when it is a concrete positive number. */
function fixedDim(shape: ReadonlyArray<number | string> | null, index: number): number | null {
  const dim = shape?.[index];
  return typeof dim === 'number' && dim > 0 ? dim : null;
}

function checkGraphAgainstMetadata(session: ort.InferenceSession, metadata: ModelMetadata): void {
  if (session.inputNames.length !== 1 || session.inputNames[0] !== metadata.input_name) {
    throw new Error(
      `ONNX graph inputs ${describe(session.inputNames)} do not match metadata input_name "${metadata.input_name}" (exactly one input expected)`,
    );
  }
  if (!session.outputNames.includes(metadata.output_name)) {
    throw new Error(
      `ONNX graph outputs ${describe(session.outputNames)} do not include metadata output_name "${metadata.output_name}"`,
    );
  }
  const input = session.inputMetadata[0];
  if (input && input.isTensor && input.type !== 'float32') {
    throw new Error(`ONNX graph input "${metadata.input_name}" has type ${input.type}, expected float32`);
  }
  const inputShape = tensorShape(input);
  if (inputShape && inputShape.length !== 2) {
    throw new Error(`ONNX graph input "${metadata.input_name}" has rank ${inputShape.length}, expected [batch, features]`);
  }
  const inputWidth = fixedDim(inputShape, 1);
  if (inputWidth !== null && inputWidth !== metadata.featurizer.dimension) {
    throw new Error(
      `ONNX graph input "${metadata.input_name}" takes ${inputWidth} features but the metadata featurizer produces ${metadata.featurizer.dimension}`,
    );
  }
  const output = session.outputMetadata[session.outputNames.indexOf(metadata.output_name)];
  const outputWidth = fixedDim(tensorShape(output), 1);
  if (outputWidth !== null && outputWidth !== metadata.labels.length) {
    throw new Error(
      `ONNX graph output "${metadata.output_name}" has ${outputWidth} classes but the metadata declares ${metadata.labels.length} labels`,
    );
  }
}

function toScores(data: unknown, metadata: ModelMetadata): Float32Array {
  if (!(data instanceof Float32Array)) {
    throw new Error(`ONNX output "${metadata.output_name}" is not a float32 tensor`);
  }
  if (data.length !== metadata.labels.length) {
    throw new Error(
      `ONNX output "${metadata.output_name}" has ${data.length} values but the metadata declares ${metadata.labels.length} labels`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`ONNX output "${metadata.output_name}" contains a non-finite score`);
  }
  return data;
}

/**
 * Options of every inference session. One thread per session: a prediction is a single
 * [1, dimension] × [dimension, labels] product of a few microseconds, too small to gain from
 * being split across threads, while onnxruntime's default gives every session its own intra-op
 * pool (one thread per core, spinning between runs), so each loaded version would add worker
 * threads that compete with the event loop and with each other. The server gets its concurrency
 * from the many requests in flight, not from splitting one run. The scores do not change: the
 * product is not split along its summed dimension (checked bit for bit on both datasets).
 */
export const SESSION_OPTIONS: Readonly<ort.InferenceSession.SessionOptions> = Object.freeze({
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});

/**
 * Loads an ONNX text classifier from its bytes and declared metadata. Everything that can be
 * checked before serving is checked here — metadata shape, graph inputs/outputs against the
 * metadata, and one probe inference — so a bad artifact fails at load with a clear Error
 * instead of on the first user request.
 */
export async function loadOnnxClassifier(bytes: Uint8Array, rawMetadata: ModelMetadata | unknown): Promise<TextClassifier> {
  const metadata = Object.freeze(parseModelMetadata(rawMetadata));
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) {
    throw new Error('ONNX artifact is empty');
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  } catch (error) {
    throw new Error(`ONNX artifact could not be loaded: ${(error as Error).message}`, { cause: error });
  }

  const featurizer = createFeaturizer(metadata.featurizer);
  const labels = Object.freeze([...metadata.labels]);
  const { dimension } = featurizer;

  const score = async (features: Float32Array): Promise<Float32Array> => {
    const feeds = { [metadata.input_name]: new ort.Tensor('float32', features, [1, dimension]) };
    const results = await session.run(feeds, [metadata.output_name]);
    return toScores(results[metadata.output_name]?.data, metadata);
  };

  try {
    checkGraphAgainstMetadata(session, metadata);
    // A graph can hide its widths behind symbolic dims; running it once proves they agree.
    await score(new Float32Array(dimension));
  } catch (error) {
    await session.release().catch(() => undefined);
    const message = (error as Error).message;
    throw new Error(
      message.startsWith('ONNX') ? message : `ONNX artifact does not run with its metadata: ${message}`,
      { cause: error },
    );
  }

  let released = false;
  return {
    metadata,
    labels,
    async predict(text: string): Promise<Prediction> {
      if (released) throw new Error('model has been disposed');
      if (typeof text !== 'string') throw new Error('text must be a string');
      const probabilities = await score(featurizer.featurize(text));
      let best = 0;
      for (let i = 1; i < labels.length; i++) if (probabilities[i] > probabilities[best]) best = i;
      // fromEntries defines own properties, so even a label named "__proto__" stays a plain key.
      const scores = Object.fromEntries(labels.map((label, i) => [label, probabilities[i]]));
      return { label: labels[best], score: probabilities[best], scores };
    },
    async dispose(): Promise<void> {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}
