import { DomainError } from '../../common/errors/domain-error.js';

export class ModelTypeNotFoundError extends DomainError {
  constructor(modelType: string) {
    super('MODEL_TYPE_NOT_FOUND', 'not_found', `Model type "${modelType}" does not exist (create it with POST /api/v1/models)`, { model_type: modelType });
  }
}

export class ModelVersionNotFoundError extends DomainError {
  constructor(modelType: string, version: string) {
    super('MODEL_VERSION_NOT_FOUND', 'not_found', `Model type "${modelType}" has no version "${version}"`, { model_type: modelType, version });
  }
}

/** A registered version cannot be served right now: its artifact is missing or corrupt, or it does not load. */
export class ModelUnavailableError extends DomainError {
  constructor(modelType: string, version: string, reason: string) {
    super('MODEL_UNAVAILABLE', 'unavailable', `Model ${modelType} ${version} is unavailable: ${reason}`, { model_type: modelType, version });
  }
}

export class DuplicateModelTypeError extends DomainError {
  constructor(modelType: string) {
    super('DUPLICATE_MODEL_TYPE', 'conflict', `Model type "${modelType}" already exists`, { model_type: modelType });
  }
}

export class DuplicateModelVersionError extends DomainError {
  constructor(modelType: string, version: string) {
    super('DUPLICATE_MODEL_VERSION', 'conflict', `Model type "${modelType}" already has version "${version}"; versions are immutable, register a new one`, {
      model_type: modelType,
      version,
    });
  }
}

/** The uploaded bytes are not a loadable model of their format, or disagree with their metadata. */
export class InvalidArtifactError extends DomainError {
  constructor(reason: string) {
    super('INVALID_ARTIFACT', 'unprocessable', `The artifact is not a usable model: ${reason}`);
  }
}

export class InvalidVersionError extends DomainError {
  constructor(version: unknown, problem?: string) {
    super(
      'INVALID_VERSION',
      'invalid',
      problem
        ? `version ${problem}`
        : version === undefined || version === ''
          ? 'version is required: a semantic version such as v2.0.0 or 1.4.0-rc.1'
          : `version must be a semantic version such as v2.0.0 or 1.4.0-rc.1, got ${JSON.stringify(version)}`,
    );
  }
}

export class UnsupportedFormatError extends DomainError {
  constructor(format: string, supported: readonly string[]) {
    super('UNSUPPORTED_FORMAT', 'invalid', `format must be one of ${supported.join(', ')}, got ${JSON.stringify(format)}`);
  }
}

export class InvalidMetadataError extends DomainError {
  constructor(reason: string) {
    super('INVALID_METADATA', 'invalid', `metadata is not valid: ${reason}`);
  }
}

export class InvalidStageError extends DomainError {
  constructor(stage: unknown, allowed: readonly string[]) {
    super('INVALID_STAGE', 'invalid', `stage must be one of ${allowed.join(', ')}, got ${JSON.stringify(stage)}`);
  }
}

/** A malformed upload form: no file, an unknown field, a repeated field. */
export class InvalidUploadError extends DomainError {
  constructor(message: string) {
    super('VALIDATION_FAILED', 'invalid', message);
  }
}

export class ArtifactTooLargeError extends DomainError {
  constructor(limitBytes: number) {
    super('PAYLOAD_TOO_LARGE', 'too_large', `The artifact is larger than the ${limitBytes} bytes this server accepts (MAX_UPLOAD_BYTES)`, { limit_bytes: limitBytes });
  }
}
