import type { Tx } from '../../database/transactions.js';
import type { ModelTypeRepository } from './model-type.repository.js';
import type { ModelVersionEntity } from './model-version.entity.js';
import type { ModelVersionRepository } from './model-version.repository.js';
import { ModelRegistryError } from './model-registry.errors.js';
import { canonicalVersion } from './semver.js';

/** 404 MODEL_TYPE_NOT_FOUND unless the model type exists. Reads on `tx`'s connection when given. */
export async function requireModelType(types: ModelTypeRepository, modelType: string, tx?: Tx): Promise<void> {
  if (!(await types.exists(modelType, tx))) throw ModelRegistryError.typeNotFound(modelType);
}

/**
 * The stored version in any spelling (`2.0.0` = `v2.0.0`); 404 MODEL_TYPE_NOT_FOUND when the model
 * type does not exist, else MODEL_VERSION_NOT_FOUND. Reads on `tx`'s connection when given.
 */
export async function requireVersion(
  repositories: { types: ModelTypeRepository; versions: ModelVersionRepository },
  modelType: string,
  version: string,
  tx?: Tx,
): Promise<ModelVersionEntity> {
  const canonical = canonicalVersion(version);
  const found = canonical ? await repositories.versions.find(modelType, canonical, tx) : null;
  if (found) return found;
  await requireModelType(repositories.types, modelType, tx);
  throw ModelRegistryError.versionNotFound(modelType, version);
}
