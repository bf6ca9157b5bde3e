import type { Tx } from '../../../database/transactions.js';
import type { ModelVersionsService } from '../../model-registry/model-versions.service.js';
import { AbTestError } from '../ab-tests.errors.js';

/**
 * Both versions of a test must exist for its model type and not be archived: checked at create and
 * again at every start (a version may have been archived in between). Names the first unusable one.
 * Returns the registry's spelling of each version (`2.0.0` is stored as the registry's `v2.0.0`).
 * Inside a transaction pass it as `tx`: the reads then use its connection, in turn, instead of
 * taking more from the pool while the transaction holds a row lock (concurrent starts would
 * otherwise hold every connection and wait for more until the pool times out).
 */
export async function assertVersionsUsable(
  modelVersions: ModelVersionsService,
  modelType: string,
  variantA: string,
  variantB: string,
  tx?: Tx,
): Promise<{ variantA: string; variantB: string }> {
  const [a, b] = tx
    ? [await modelVersions.findVersion(modelType, variantA, tx), await modelVersions.findVersion(modelType, variantB, tx)]
    : await Promise.all([modelVersions.findVersion(modelType, variantA), modelVersions.findVersion(modelType, variantB)]);
  const checks = [
    ['variant_a', variantA, a],
    ['variant_b', variantB, b],
  ] as const;
  for (const [field, version, info] of checks) {
    if (!info) throw AbTestError.versionNotFound(field, modelType, version, await modelVersions.listUsableVersionNames(modelType, tx));
    if (info.stage === 'archived') throw AbTestError.versionArchived(field, modelType, version);
  }
  return { variantA: a!.version, variantB: b!.version };
}
