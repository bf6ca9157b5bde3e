import { describe, expect, it } from 'vitest';
import type { ChangeFeed } from '../../database/change-feed.service.js';
import { FakeTransactions, type Transactions } from '../../database/transactions.js';
import type { ArtifactStore } from './artifact-store.js';
import { FakeModelTypeRepository, FakeModelVersionRepository, FakeStageChangeRepository } from './fake-model-registry.repositories.js';
import { ModelRegistryService } from './model-registry.service.js';

function build() {
  const versions = new FakeModelVersionRepository();
  const types = new FakeModelTypeRepository(versions);
  const stageChanges = new FakeStageChangeRepository();
  const transactions = new FakeTransactions();
  const published: string[] = [];
  const feed = { publish: (change: { key?: string }) => (published.push(change.key ?? ''), Promise.resolve()), subscribe: () => () => undefined } as unknown as ChangeFeed;
  const registry = new ModelRegistryService(transactions as unknown as Transactions, types, versions, stageChanges, {} as ArtifactStore, feed);
  return { registry, types, versions, stageChanges, transactions, published };
}

async function withVersions(names: string[]) {
  const built = build();
  await built.registry.createModelType({ name: 'spam_filter', task: 'text-classification' });
  for (const version of names) {
    await built.versions.insert({} as never, { modelType: 'spam_filter', version, format: 'onnx', artifactUri: 'x', sha256: 'a'.repeat(64), sizeBytes: 1, metadata: {}, stage: 'none', createdBy: 'spec' });
  }
  return built;
}

describe('ModelRegistryService on the fake repositories', () => {
  it('a duplicate model type is 409 DUPLICATE_MODEL_TYPE; a new one is announced on the change feed', async () => {
    const { registry, published } = build();
    await expect(registry.createModelType({ name: 'spam_filter', task: 'text-classification' })).resolves.toMatchObject({ name: 'spam_filter', productionVersion: null });
    expect(published).toEqual(['spam_filter']);
    await expect(registry.createModelType({ name: 'spam_filter', task: 'x' })).rejects.toMatchObject({ code: 'DUPLICATE_MODEL_TYPE', status: 409 });
  });

  it('promoting to production archives the previous production version, records both changes, in one transaction', async () => {
    const { registry, stageChanges, transactions } = await withVersions(['v1.0.0', 'v2.0.0']);
    await registry.promoteVersion({ modelType: 'spam_filter', version: 'v1.0.0', stage: 'production', actor: 'admin' });
    const opened = transactions.opened;
    const promoted = await registry.promoteVersion({ modelType: 'spam_filter', version: '2.0.0', stage: 'production', actor: 'admin', reason: 'won' });
    expect(transactions.opened).toBe(opened + 1);
    expect(promoted).toMatchObject({ version: 'v2.0.0', stage: 'production' });
    expect((await registry.findVersion('spam_filter', 'v1.0.0'))?.stage).toBe('archived');
    expect((await registry.getModelType('spam_filter')).productionVersion).toBe('v2.0.0');
    expect(stageChanges.rows.map((c) => [c.fromStage, c.toStage, c.changedBy])).toEqual([
      ['none', 'production', 'admin'],
      ['production', 'archived', 'admin'],
      ['none', 'production', 'admin'],
    ]);
  });

  it("with a caller's transaction, promoteVersion opens none of its own; a version already in the stage records nothing", async () => {
    const { registry, stageChanges, transactions } = await withVersions(['v1.0.0']);
    await transactions.run((tx) => registry.promoteVersion({ modelType: 'spam_filter', version: 'v1.0.0', stage: 'staging', actor: 'runner', tx }));
    expect(transactions.opened).toBe(1);
    await registry.promoteVersion({ modelType: 'spam_filter', version: 'v1.0.0', stage: 'staging', actor: 'runner' });
    expect(stageChanges.rows).toHaveLength(1);
  });

  it('unknown names: 404 MODEL_TYPE_NOT_FOUND before MODEL_VERSION_NOT_FOUND; an invalid stage is 400', async () => {
    const { registry } = await withVersions(['v1.0.0']);
    await expect(registry.getVersion('nope', 'v1.0.0')).rejects.toMatchObject({ code: 'MODEL_TYPE_NOT_FOUND', status: 404 });
    await expect(registry.getVersion('spam_filter', 'v9.0.0')).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND', status: 404 });
    await expect(registry.promoteVersion({ modelType: 'spam_filter', version: 'v1.0.0', stage: 'prod' as never, actor: 'a' })).rejects.toMatchObject({ code: 'INVALID_STAGE', status: 400 });
    expect(await registry.listUsableVersionNames('spam_filter')).toEqual(['v1.0.0']);
  });
});
