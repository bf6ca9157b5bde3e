import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { DomainError } from '../../common/errors/domain-error.js';
import type { ArtifactStore, StagedArtifact } from './artifact-store.js';
import type { RegisterVersionInput } from './model-versions.service.js';
import { ModelRegistryError } from './model-registry.errors.js';

export const UPLOAD_FILE_FIELD = 'file';
const UPLOAD_FIELDS = ['version', 'format', 'metadata', 'stage'] as const;
type UploadField = (typeof UPLOAD_FIELDS)[number];

export interface VersionUpload {
  fields: RegisterVersionInput;
  artifact: StagedArtifact;
}

/** Same bound as a text field (the multipart plugin's fieldSize). */
const MAX_METADATA_BYTES = 1024 * 1024;

/** The whole stream as UTF-8, or null (after draining it) when it is longer than `limit` bytes. */
async function readSmallText(stream: Readable, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size <= limit ? Buffer.concat(chunks).toString('utf8') : null;
}

async function drain(stream: Readable): Promise<void> {
  for await (const _chunk of stream) {
    // discard: the request must be read to its end before the answer can be sent cleanly
  }
}

/** @fastify/multipart's own errors, in the registry's words. */
function translate(error: unknown, maxUploadBytes: number): unknown {
  switch ((error as { code?: unknown } | null)?.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return ModelRegistryError.artifactTooLarge(maxUploadBytes);
    case 'FST_FILES_LIMIT':
      return ModelRegistryError.invalidUpload('send one artifact, as the file part "file" (and the metadata, if sent as a file, as "metadata")');
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return ModelRegistryError.invalidMetadata('it is not valid JSON');
    default:
      return error;
  }
}

/**
 * Reads a version upload (multipart/form-data): the fields `version`, `format`, `metadata`,
 * `stage` and the file part `file`, in any order. The file streams into the artifact store's
 * staging area while it is hashed; it is never held in memory. The whole request is always read
 * (parts after a problem are drained, not stored) so the error answer reaches the client, and on
 * any problem the staged bytes are removed before the error is thrown.
 */
export async function readVersionUpload(request: FastifyRequest, store: ArtifactStore, maxUploadBytes: number): Promise<VersionUpload> {
  if (!request.isMultipart()) {
    throw ModelRegistryError.invalidUpload('send multipart/form-data with the artifact as the file part "file" and the fields version, format, metadata and stage');
  }
  const fields: Partial<Record<UploadField, unknown>> = {};
  let artifact: StagedArtifact | null = null;
  let problem: DomainError | null = null;

  try {
    // Two file parts at most: the artifact and, optionally, the metadata sent as a file.
    for await (const part of request.parts({ limits: { files: 2 } })) {
      if (part.type === 'file' && part.fieldname === 'metadata') {
        // `curl -F metadata=@model.meta.json` sends the metadata as a file part: accept it.
        const text = await readSmallText((part as MultipartFile).file, MAX_METADATA_BYTES);
        if (text === null) problem ??= ModelRegistryError.invalidMetadata(`it is longer than ${MAX_METADATA_BYTES} bytes`);
        else if ('metadata' in fields) problem ??= ModelRegistryError.invalidUpload('field "metadata" is sent more than once');
        else fields.metadata = text;
      } else if (part.type === 'file') {
        const file = part as MultipartFile;
        if (file.fieldname !== UPLOAD_FILE_FIELD) {
          problem ??= ModelRegistryError.invalidUpload(`unexpected file part "${file.fieldname}": send the artifact as "${UPLOAD_FILE_FIELD}"`);
        } else if (artifact) {
          problem ??= ModelRegistryError.invalidUpload(`send one artifact: the file part "${UPLOAD_FILE_FIELD}" appears more than once`);
        }
        if (problem) {
          await drain(file.file);
          continue;
        }
        const staged = await store.stage(file.file);
        if (file.file.truncated) {
          await staged.discard();
          problem ??= ModelRegistryError.artifactTooLarge(maxUploadBytes);
          continue;
        }
        artifact = staged;
      } else {
        const field = part as MultipartValue;
        const name = field.fieldname;
        if (!(UPLOAD_FIELDS as readonly string[]).includes(name)) {
          problem ??= ModelRegistryError.invalidUpload(`unknown field "${name}": the fields are ${UPLOAD_FIELDS.join(', ')} and the file part "${UPLOAD_FILE_FIELD}"`);
        } else if (name in fields) {
          problem ??= ModelRegistryError.invalidUpload(`field "${name}" is sent more than once`);
        } else if (field.valueTruncated) {
          problem ??= name === 'metadata' ? ModelRegistryError.invalidMetadata(`it is longer than ${MAX_METADATA_BYTES} bytes`) : ModelRegistryError.invalidUpload(`field "${name}" is too long`);
        } else {
          fields[name as UploadField] = field.value;
        }
      }
    }
  } catch (error) {
    await (artifact as StagedArtifact | null)?.discard();
    throw translate(error, maxUploadBytes);
  }

  if (!artifact) problem ??= ModelRegistryError.invalidUpload(`the artifact is missing: send it as the file part "${UPLOAD_FILE_FIELD}"`);
  let metadata: unknown = fields.metadata;
  if (!problem && typeof metadata === 'string') {
    if (metadata.trim() === '') {
      metadata = undefined;
    } else {
      try {
        metadata = JSON.parse(metadata);
      } catch {
        problem ??= ModelRegistryError.invalidMetadata('it is not valid JSON');
      }
    }
  }
  if (problem) {
    await (artifact as StagedArtifact | null)?.discard();
    throw problem;
  }
  return {
    fields: { version: fields.version, format: fields.format, stage: fields.stage, metadata },
    artifact: artifact!,
  };
}
