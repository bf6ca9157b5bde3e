import { defineConfigSlice, type SliceOf } from '../../config/config-slice.js';

/** What the model registry reads of the configuration. */
export const ModelRegistryConfig = defineConfigSlice('ModelRegistryConfig', ['dataDir', 'seedExampleModels', 'maxUploadBytes']);
export type ModelRegistryConfig = SliceOf<typeof ModelRegistryConfig>;
