import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildRegistryOnFakes } from './fake-model-registry.repositories.js';
import { MODEL_TYPE_MISS_CHECKS_PER_SECOND, MODEL_TYPE_RECHECK_MS } from './model-types.service.js';

describe('ModelTypesService on the fake repositories', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a duplicate model type is 409 DUPLICATE_MODEL_TYPE; a new one is announced on the change feed', async () => {
    const { modelTypes, published } = buildRegistryOnFakes();
    await expect(modelTypes.createModelType({ name: 'spam_filter', task: 'text-classification' })).resolves.toMatchObject({ name: 'spam_filter', productionVersion: null, labels: [], description: null });
    expect(published).toEqual(['spam_filter']);
    await expect(modelTypes.createModelType({ name: 'spam_filter', task: 'x' })).rejects.toMatchObject({ code: 'DUPLICATE_MODEL_TYPE', status: 409 });
    expect(published).toEqual(['spam_filter']);
  });

  it('reads: sorted lists, one type by name, 404 MODEL_TYPE_NOT_FOUND for an unknown one', async () => {
    const { modelTypes } = buildRegistryOnFakes();
    await modelTypes.createModelType({ name: 'toxicity', task: 'text-classification', labels: ['ok', 'toxic'] });
    await modelTypes.createModelType({ name: 'intent', task: 'text-classification' });
    expect((await modelTypes.listModelTypes()).map((t) => t.name)).toEqual(['intent', 'toxicity']);
    expect(await modelTypes.listModelTypeNames()).toEqual(['intent', 'toxicity']);
    await expect(modelTypes.getModelType('toxicity')).resolves.toMatchObject({ labels: ['ok', 'toxic'] });
    await expect(modelTypes.getModelType('nope')).rejects.toMatchObject({ code: 'MODEL_TYPE_NOT_FOUND', status: 404 });
    await expect(modelTypes.requireModelType('nope')).rejects.toMatchObject({ code: 'MODEL_TYPE_NOT_FOUND', status: 404 });
    await expect(modelTypes.requireModelType('intent')).resolves.toBeUndefined();
  });

  it('isRegisteredModelType: made-up names cost one list read and a bounded number of single-name checks per second', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { modelTypes, types } = buildRegistryOnFakes();
    await modelTypes.createModelType({ name: 'spam_filter', task: 'text-classification' });
    const listNames = vi.spyOn(types, 'listNames');
    const exists = vi.spyOn(types, 'exists');
    expect(await modelTypes.isRegisteredModelType('spam_filter')).toBe(true);
    for (let i = 0; i < 3 * MODEL_TYPE_MISS_CHECKS_PER_SECOND; i++) expect(await modelTypes.isRegisteredModelType(`made_up_${i}`)).toBe(false);
    expect(listNames).toHaveBeenCalledTimes(1);
    expect(exists).toHaveBeenCalledTimes(MODEL_TYPE_MISS_CHECKS_PER_SECOND);

    // Registered elsewhere (another instance): found by the next re-read of the list.
    await types.insert({ name: 'elsewhere', task: 'text-classification', description: null, labels: [] });
    expect(await modelTypes.isRegisteredModelType('elsewhere')).toBe(false);
    vi.advanceTimersByTime(MODEL_TYPE_RECHECK_MS);
    expect(await modelTypes.isRegisteredModelType('elsewhere')).toBe(true);
    expect(listNames).toHaveBeenCalledTimes(2);
  });
});
