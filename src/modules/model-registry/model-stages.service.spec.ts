import { describe, expect, it } from 'vitest';
import { buildRegistryWithVersions } from './fake-model-registry.repositories.js';

describe('ModelStagesService on the fake repositories', () => {
  it('promoting to production archives the previous production version, records both changes, in one transaction', async () => {
    const { stages, modelTypes, modelVersions, stageChanges, transactions, published } = await buildRegistryWithVersions(['v1.0.0', 'v2.0.0']);
    await stages.promoteVersion({ modelType: 'spam_filter', version: 'v1.0.0', stage: 'production', actor: 'admin' });
    const opened = transactions.opened;
    published.length = 0;
    const promoted = await stages.promoteVersion({ modelType: 'spam_filter', version: '2.0.0', stage: 'production', actor: 'admin', reason: 'won' });
    expect(transactions.opened).toBe(opened + 1);
    expect(published).toEqual(['spam_filter']);
    expect(promoted).toMatchObject({ version: 'v2.0.0', stage: 'production' });
    expect((await modelVersions.findVersion('spam_filter', 'v1.0.0'))?.stage).toBe('archived');
    expect((await modelTypes.getModelType('spam_filter')).productionVersion).toBe('v2.0.0');
    expect(stageChanges.rows.map((c) => [c.fromStage, c.toStage, c.changedBy, c.reason])).toEqual([
      ['none', 'production', 'admin', null],
      ['production', 'archived', 'admin', 'replaced in production by v2.0.0'],
      ['none', 'production', 'admin', 'won'],
    ]);
  });

  it("with a caller's transaction, promoteVersion opens none of its own; a version already in the stage records and announces nothing", async () => {
    const { stages, stageChanges, transactions, published } = await buildRegistryWithVersions(['v1.0.0']);
    await transactions.run((tx) => stages.promoteVersion({ modelType: 'spam_filter', version: 'v1.0.0', stage: 'staging', actor: 'runner', tx }));
    expect(transactions.opened).toBe(1);
    published.length = 0;
    await expect(stages.promoteVersion({ modelType: 'spam_filter', version: 'v1.0.0', stage: 'staging', actor: 'runner' })).resolves.toMatchObject({ stage: 'staging' });
    expect(stageChanges.rows).toHaveLength(1);
    expect(published).toEqual([]);
  });

  it('an invalid stage is 400 INVALID_STAGE; unknown names are 404, the model type before the version', async () => {
    const { stages } = await buildRegistryWithVersions(['v1.0.0']);
    await expect(stages.promoteVersion({ modelType: 'spam_filter', version: 'v1.0.0', stage: 'prod' as never, actor: 'a' })).rejects.toMatchObject({ code: 'INVALID_STAGE', status: 400 });
    await expect(stages.promoteVersion({ modelType: 'nope', version: 'v1.0.0', stage: 'staging', actor: 'a' })).rejects.toMatchObject({ code: 'MODEL_TYPE_NOT_FOUND', status: 404 });
    await expect(stages.promoteVersion({ modelType: 'spam_filter', version: 'v9.0.0', stage: 'staging', actor: 'a' })).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND', status: 404 });
    await expect(stages.listStageChanges('spam_filter', 'not-a-version')).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND', status: 404 });
  });

  it('listStageChanges: the history of one version, oldest first, in the registry spelling', async () => {
    const { stages } = await buildRegistryWithVersions(['v1.0.0', 'v2.0.0']);
    await stages.promoteVersion({ modelType: 'spam_filter', version: 'v1.0.0', stage: 'staging', actor: 'alice' });
    await stages.promoteVersion({ modelType: 'spam_filter', version: 'v1.0.0', stage: 'production', actor: 'bob', reason: 'ready' });
    await stages.promoteVersion({ modelType: 'spam_filter', version: 'v2.0.0', stage: 'staging', actor: 'carol' });
    const history = await stages.listStageChanges('spam_filter', '1.0.0');
    expect(history.map((c) => [c.modelType, c.version, c.fromStage, c.toStage, c.changedBy, c.reason])).toEqual([
      ['spam_filter', 'v1.0.0', 'none', 'staging', 'alice', null],
      ['spam_filter', 'v1.0.0', 'staging', 'production', 'bob', 'ready'],
    ]);
  });

  it('addVersion: 409 DUPLICATE_MODEL_VERSION for a version that exists; a new one in stage none is announced without a stage change', async () => {
    const { stages, stageChanges, published } = await buildRegistryWithVersions(['v1.0.0']);
    const fields = { modelType: 'spam_filter', format: 'onnx', artifactUri: 'x', sha256: 'b'.repeat(64), sizeBytes: 2, metadata: {}, createdBy: 'admin' };
    await expect(stages.addVersion({ ...fields, version: 'v1.0.0' }, 'none', 'admin')).rejects.toMatchObject({ code: 'DUPLICATE_MODEL_VERSION', status: 409 });
    published.length = 0;
    await expect(stages.addVersion({ ...fields, version: 'v2.0.0' }, 'none', 'admin')).resolves.toMatchObject({ version: 'v2.0.0', stage: 'none', createdBy: 'admin' });
    expect(published).toEqual(['spam_filter']);
    expect(stageChanges.rows).toEqual([]);
  });
});
