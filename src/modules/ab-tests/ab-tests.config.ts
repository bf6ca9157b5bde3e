import { defineConfigSlice, type SliceOf } from '../../config/config-slice.js';

/** What the ab-tests module reads of the configuration. */
export const AbTestsConfig = defineConfigSlice('AbTestsConfig', ['assignmentCacheBytes', 'assignmentCacheRefreshMs', 'rolloutCheckMs', 'metricsFlushMs']);
export type AbTestsConfig = SliceOf<typeof AbTestsConfig>;
