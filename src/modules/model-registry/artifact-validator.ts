import * as ort from 'onnxruntime-node';
import { loadOnnxClassifier, SESSION_OPTIONS, type ModelMetadata } from './runtime/onnx-classifier.js';
import { findOnnxGraphProblem } from './runtime/onnx-graph-check.js';

export const SUPPORTED_FORMATS = ['onnx'] as const;
export type ArtifactFormat = (typeof SUPPORTED_FORMATS)[number];

/**
 * How long loading an upload and its probe inference may take. The graph check already bounds
 * one run's memory and operations (a fraction of a second); this is the backstop for what it
 * cannot see (a slow machine, a pathological kernel).
 */
export const PROBE_DEADLINE_MS = 10_000;

export function isSupportedFormat(value: string): value is ArtifactFormat {
  return (SUPPORTED_FORMATS as readonly string[]).includes(value);
}

export interface ArtifactCheckOptions {
  probeDeadlineMs?: number;
}

/**
 * Proves that `bytes` are a model the runtime can serve before anything is stored. First the
 * graph is read without running it (findOnnxGraphProblem: no external data, supported operators
 * and shapes, bounded cost); then, with runtime metadata, the real load (graph against metadata
 * plus one probe inference), without it the bytes must open as an ONNX session — both within
 * `probeDeadlineMs`. Resolves with null when the artifact is usable, or with the reason it is not
 * (never naming a server path).
 */
export async function findArtifactProblem(
  bytes: Uint8Array,
  format: ArtifactFormat,
  metadata: ModelMetadata | null,
  options: ArtifactCheckOptions = {},
): Promise<string | null> {
  switch (format) {
    case 'onnx': {
      if (bytes.byteLength === 0) return 'the file is empty';
      const graphProblem = findOnnxGraphProblem(bytes, { inputWidth: metadata?.featurizer.dimension });
      if (graphProblem) return `ONNX artifact could not be loaded: ${graphProblem}`;
      const deadlineMs = options.probeDeadlineMs ?? PROBE_DEADLINE_MS;
      try {
        const release = metadata
          ? await withinDeadline(loadOnnxClassifier(bytes, metadata), deadlineMs, (classifier) => classifier.dispose())
          : await withinDeadline(ort.InferenceSession.create(bytes, SESSION_OPTIONS), deadlineMs, (session) => session.release());
        if (release === null) return `loading it and running one probe inference took longer than ${deadlineMs} ms`;
        await release();
        return null;
      } catch (error) {
        return firstLine(error instanceof Error ? error.message : String(error));
      }
    }
    default: {
      const unreachable: never = format;
      return `unsupported format ${String(unreachable)}`;
    }
  }
}

/**
 * `work`'s release function, or null when it did not settle within `ms`. onnxruntime cannot be
 * interrupted, so a late result is released as soon as it arrives.
 */
async function withinDeadline<T>(work: Promise<T>, ms: number, release: (value: T) => Promise<void>): Promise<(() => Promise<void>) | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    const value = await Promise.race([work, late]);
    if (value === null) {
      work.then(release).catch(() => undefined);
      return null;
    }
    return () => release(value);
  } finally {
    clearTimeout(timer);
  }
}

/** An absolute path in onnxruntime's words (`/work/app/nope.bin`, `"/home/x/model.onnx"`). */
const ABSOLUTE_PATH = /(^|[\s"'(=:])\/[^\s"')]+/g;

/**
 * onnxruntime's messages can run to several lines of C++ context; the first says what failed.
 * Absolute paths in it (the server's working directory, its build tree) are none of the client's
 * business.
 */
function firstLine(message: string): string {
  const line = message.split('\n')[0]!.trim().replace(ABSOLUTE_PATH, '$1<path>');
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
