import * as ort from 'onnxruntime-node';
import { loadOnnxClassifier, type ModelMetadata } from './runtime/onnx-classifier.js';

export const SUPPORTED_FORMATS = ['onnx'] as const;
export type ArtifactFormat = (typeof SUPPORTED_FORMATS)[number];

export function isSupportedFormat(value: string): value is ArtifactFormat {
  return (SUPPORTED_FORMATS as readonly string[]).includes(value);
}

/**
 * Proves that `bytes` are a model the runtime can serve before anything is stored. With runtime
 * metadata the check is the real load (graph against metadata plus one probe inference); without
 * it, the bytes must at least open as an ONNX session. Resolves with null when the artifact is
 * usable, or with the reason it is not.
 */
export async function findArtifactProblem(bytes: Uint8Array, format: ArtifactFormat, metadata: ModelMetadata | null): Promise<string | null> {
  switch (format) {
    case 'onnx': {
      if (bytes.byteLength === 0) return 'the file is empty';
      try {
        if (metadata) {
          const classifier = await loadOnnxClassifier(bytes, metadata);
          await classifier.dispose();
        } else {
          const session = await ort.InferenceSession.create(bytes);
          await session.release();
        }
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

/** onnxruntime's messages can run to several lines of C++ context; the first says what failed. */
function firstLine(message: string): string {
  const line = message.split('\n')[0]!.trim();
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
