import { DomainError } from '../../common/errors/domain-error.js';

/** Errors of the model registry; `code` is stable (clients switch on it) and decides the status. */
export class ModelRegistryError extends DomainError {
  static typeNotFound(modelType: string): ModelRegistryError {
    return new ModelRegistryError('MODEL_TYPE_NOT_FOUND', `Model type "${modelType}" does not exist (create it with POST /api/v1/models)`, { model_type: modelType });
  }

  static versionNotFound(modelType: string, version: string): ModelRegistryError {
    return new ModelRegistryError('MODEL_VERSION_NOT_FOUND', `Model type "${modelType}" has no version "${version}"`, { model_type: modelType, version });
  }

  /** A registered version cannot be served right now: its artifact is missing or corrupt, or it does not load. */
  static unavailable(modelType: string, version: string, reason: string): ModelRegistryError {
    return new ModelRegistryError('MODEL_UNAVAILABLE', `Model ${modelType} ${version} is unavailable: ${reason}`, { model_type: modelType, version });
  }

  static duplicateType(modelType: string): ModelRegistryError {
    return new ModelRegistryError('DUPLICATE_MODEL_TYPE', `Model type "${modelType}" already exists`, { model_type: modelType });
  }

  static duplicateVersion(modelType: string, version: string): ModelRegistryError {
    return new ModelRegistryError('DUPLICATE_MODEL_VERSION', `Model type "${modelType}" already has version "${version}"; versions are immutable, register a new one`, {
      model_type: modelType,
      version,
    });
  }

  /** The uploaded bytes are not a loadable model of their format, or disagree with their metadata. */
  static invalidArtifact(reason: string): ModelRegistryError {
    return new ModelRegistryError('INVALID_ARTIFACT', `The artifact is not a usable model: ${reason}`);
  }

  static invalidVersion(version: unknown, problem?: string): ModelRegistryError {
    return new ModelRegistryError(
      'INVALID_VERSION',
      problem
        ? `version ${problem}`
        : version === undefined || version === ''
          ? 'version is required: a semantic version such as v2.0.0 or 1.4.0-rc.1'
          : `version must be a semantic version such as v2.0.0 or 1.4.0-rc.1, got ${JSON.stringify(version)}`,
    );
  }

  static unsupportedFormat(format: string, supported: readonly string[]): ModelRegistryError {
    return new ModelRegistryError('UNSUPPORTED_FORMAT', `format must be one of ${supported.join(', ')}, got ${JSON.stringify(format)}`);
  }

  static invalidMetadata(reason: string): ModelRegistryError {
    return new ModelRegistryError('INVALID_METADATA', `metadata is not valid: ${reason}`);
  }

  static invalidStage(stage: unknown, allowed: readonly string[]): ModelRegistryError {
    return new ModelRegistryError('INVALID_STAGE', `stage must be one of ${allowed.join(', ')}, got ${JSON.stringify(stage)}`);
  }

  /** A malformed upload form: no file, an unknown field, a repeated field. */
  static invalidUpload(message: string): ModelRegistryError {
    return new ModelRegistryError('VALIDATION_FAILED', message);
  }

  static artifactTooLarge(limitBytes: number): ModelRegistryError {
    return new ModelRegistryError('PAYLOAD_TOO_LARGE', `The artifact is larger than the ${limitBytes} bytes this server accepts (MAX_UPLOAD_BYTES)`, { limit_bytes: limitBytes });
  }
}

/** True for MODEL_UNAVAILABLE: a registered version that cannot be served right now. */
export function isModelUnavailable(error: unknown): error is ModelRegistryError {
  return error instanceof ModelRegistryError && error.code === 'MODEL_UNAVAILABLE';
}
